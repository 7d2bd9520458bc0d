//! The proof stored beside each finalized block: the committee's finalization
//! certificate for the block itself or, when the committee finalized a descendant and this
//! block only through it (simplex finalizes ancestors transitively), the descendant's,
//! with the descendant's height (follow `parentHash` links down from it).
//!
//! Encoding: a version byte, the certified height (8 bytes), then the Commonware
//! encoding of the `Finalization` (proposal, signer bitmap, ed25519 signatures).

use crate::committee::Scheme;
use bytes::BufMut;
use commonware_codec::{
    Buf, DecodeExt as _, Encode, EncodeSize, Error as CodecError, Read, ReadExt as _, Write,
};
use commonware_cryptography::{certificate::Verifier as _, keccak256::Digest};

/// A finalization certificate over this crate's blocks.
pub type Finalization = commonware_consensus::simplex::types::Finalization<Scheme, Digest>;

const VERSION: u8 = 1;

/// Why a block is final.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finality {
    /// Height of the block `finalization` names: the block's own height, or a
    /// descendant's.
    pub height: u64,
    /// The committee's certificate.
    pub finalization: Finalization,
}

impl Finality {
    /// Whether the certificate names the block at `number` itself.
    pub fn is_direct(&self, number: u64) -> bool {
        self.height == number
    }

    /// The stored bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode().to_vec()
    }

    /// Reads stored bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        Self::decode(bytes.to_vec())
    }
}

impl Write for Finality {
    fn write(&self, buf: &mut impl BufMut) {
        VERSION.write(buf);
        self.height.write(buf);
        self.finalization.write(buf);
    }
}

impl EncodeSize for Finality {
    fn encode_size(&self) -> usize {
        1 + self.height.encode_size() + self.finalization.encode_size()
    }
}

impl Read for Finality {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let version = u8::read(buf)?;
        if version != VERSION {
            return Err(CodecError::InvalidEnum(version));
        }
        let height = u64::read(buf)?;
        let finalization =
            Finalization::read_cfg(buf, &Scheme::certificate_codec_config_unbounded())?;
        Ok(Self {
            height,
            finalization,
        })
    }
}
