//! The native transaction and its EIP-2718 envelope.
//!
//! ```text
//! envelope = 0x62 || rlp([chain_id, inputs, outputs, issuance, signatures])
//! sighash  = keccak256(0x62 || rlp([chain_id, inputs, outputs, issuance]))
//! hash     = keccak256(envelope)
//! inputs     = [[tx, index], …]
//! outputs    = [[asset, amount, owner], …]
//! issuance   = []                                   no issuance
//!            | [asset, amount]                      more of an existing asset
//!            | [asset, amount, definition]          a new asset (its id must match)
//! definition = [name, symbol, decimals, issuer, data]
//! signatures = [r(32) || s(32) || y_parity(1), …]   low s, parity 0 or 1
//! ```
//!
//! The signers, in order: the owners of the inputs in order of first appearance, then the
//! issuer if the transaction issues and the issuer owns none of the inputs.

use super::{NativeTxError, assets::AssetDefinition};
use crate::{AssetId, OutPoint, Output};
use alloy_primitives::{Address, B256, Bytes, Signature, U256, keccak256};
use alloy_rlp::{Decodable, Encodable, Header};

/// The EIP-2718 type byte of native transactions.
pub const NATIVE_TX_TYPE: u8 = 0x62;

/// Issuance of a native asset by its issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issuance {
    /// The asset issued.
    pub asset: AssetId,
    /// Base units issued (may be zero when the transaction only creates the asset).
    pub amount: U256,
    /// The definition, when the transaction creates the asset; `asset` must be its id.
    pub definition: Option<AssetDefinition>,
}

impl Encodable for Issuance {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        let payload_length = self.asset.length()
            + self.amount.length()
            + self.definition.as_ref().map_or(0, Encodable::length);
        Header {
            list: true,
            payload_length,
        }
        .encode(out);
        self.asset.encode(out);
        self.amount.encode(out);
        if let Some(d) = &self.definition {
            d.encode(out);
        }
    }

    fn length(&self) -> usize {
        let payload_length = self.asset.length()
            + self.amount.length()
            + self.definition.as_ref().map_or(0, Encodable::length);
        payload_length + alloy_rlp::length_of_length(payload_length)
    }
}

/// A native UTXO transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NativeTx {
    /// The chain it is valid on.
    pub chain_id: u64,
    /// Outputs spent.
    pub inputs: Vec<OutPoint>,
    /// Outputs created, numbered from 0 at outpoint `(hash, index)`.
    pub outputs: Vec<Output>,
    /// Issuance of a native asset, if any.
    pub issuance: Option<Issuance>,
    /// One signature per signer (see the module docs for the order).
    pub signatures: Vec<Signature>,
}

fn encode_signature(sig: &Signature, out: &mut dyn alloy_rlp::BufMut) {
    let mut b = [0u8; 65];
    b[..32].copy_from_slice(&sig.r().to_be_bytes::<32>());
    b[32..64].copy_from_slice(&sig.s().to_be_bytes::<32>());
    b[64] = u8::from(sig.v());
    b.as_slice().encode(out);
}

/// A 65-byte string: a two-byte RLP header and the bytes.
const SIGNATURE_RLP_LEN: usize = 67;

impl NativeTx {
    fn issuance_length(&self) -> usize {
        self.issuance.as_ref().map_or(1, Encodable::length)
    }

    fn unsigned_payload_length(&self) -> usize {
        self.chain_id.length()
            + alloy_rlp::list_length(&self.inputs)
            + alloy_rlp::list_length(&self.outputs)
            + self.issuance_length()
    }

    fn signatures_payload_length(&self) -> usize {
        self.signatures.len() * SIGNATURE_RLP_LEN
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        self.chain_id.encode(out);
        alloy_rlp::encode_list(&self.inputs, out);
        alloy_rlp::encode_list(&self.outputs, out);
        match &self.issuance {
            Some(i) => i.encode(out),
            None => Header {
                list: true,
                payload_length: 0,
            }
            .encode(out),
        }
    }

    /// The bytes the signers sign (hashed into [`Self::sighash`]).
    pub fn signing_payload(&self) -> Vec<u8> {
        let payload_length = self.unsigned_payload_length();
        let mut out = Vec::with_capacity(1 + payload_length + 9);
        out.push(NATIVE_TX_TYPE);
        Header {
            list: true,
            payload_length,
        }
        .encode(&mut out);
        self.encode_fields(&mut out);
        out
    }

    /// The hash every signer signs; it commits to the chain id and everything but the
    /// signatures.
    pub fn sighash(&self) -> B256 {
        keccak256(self.signing_payload())
    }

    /// The EIP-2718 envelope: the type byte and the RLP of the signed transaction.
    pub fn encoded_2718(&self) -> Vec<u8> {
        let sigs = self.signatures_payload_length();
        let payload_length =
            self.unsigned_payload_length() + sigs + alloy_rlp::length_of_length(sigs);
        let mut out = Vec::with_capacity(1 + payload_length + 9);
        out.push(NATIVE_TX_TYPE);
        Header {
            list: true,
            payload_length,
        }
        .encode(&mut out);
        self.encode_fields(&mut out);
        Header {
            list: true,
            payload_length: sigs,
        }
        .encode(&mut out);
        for s in &self.signatures {
            encode_signature(s, &mut out);
        }
        out
    }

    /// The transaction hash: `keccak256` of the envelope.
    pub fn hash(&self) -> B256 {
        keccak256(self.encoded_2718())
    }

    /// Decodes an envelope (the whole of `bytes`, nothing after it).
    pub fn decode_2718(bytes: &[u8]) -> Result<Self, NativeTxError> {
        let err = |m: &str| NativeTxError::Decode(m.to_string());
        let rlp_err = |e: alloy_rlp::Error| NativeTxError::Decode(e.to_string());
        let (&ty, mut buf) = bytes.split_first().ok_or_else(|| err("empty input"))?;
        if ty != NATIVE_TX_TYPE {
            return Err(err(&format!("type {ty:#x} is not {NATIVE_TX_TYPE:#x}")));
        }
        let header = Header::decode(&mut buf).map_err(rlp_err)?;
        if !header.list || header.payload_length != buf.len() {
            return Err(err("envelope is not one RLP list"));
        }
        let chain_id = u64::decode(&mut buf).map_err(rlp_err)?;
        let inputs = Vec::<OutPoint>::decode(&mut buf).map_err(rlp_err)?;
        let outputs = Vec::<Output>::decode(&mut buf).map_err(rlp_err)?;
        let issuance = decode_issuance(&mut buf).map_err(rlp_err)?;
        let sig_header = Header::decode(&mut buf).map_err(rlp_err)?;
        if !sig_header.list || sig_header.payload_length != buf.len() {
            return Err(err("signatures are not the last RLP list"));
        }
        let mut signatures = Vec::new();
        while !buf.is_empty() {
            let raw = alloy_rlp::Bytes::decode(&mut buf).map_err(rlp_err)?;
            if raw.len() != 65 || raw[64] > 1 {
                return Err(err(
                    "a signature is not r || s || parity (65 bytes, parity 0 or 1)",
                ));
            }
            let r = U256::from_be_slice(&raw[..32]);
            let s = U256::from_be_slice(&raw[32..64]);
            signatures.push(Signature::new(r, s, raw[64] == 1));
        }
        Ok(Self {
            chain_id,
            inputs,
            outputs,
            issuance,
            signatures,
        })
    }

    /// The signers required, in order, given the owners of the inputs (in input order)
    /// and the issuer of the asset issued: distinct owners in order of first appearance,
    /// then the issuer unless it is one of them.
    pub fn signers_for(
        &self,
        input_owners: impl IntoIterator<Item = Address>,
        issuer: Option<Address>,
    ) -> Vec<Address> {
        let mut signers: Vec<Address> = Vec::new();
        for owner in input_owners {
            if !signers.contains(&owner) {
                signers.push(owner);
            }
        }
        if let Some(issuer) = issuer
            && self.issuance.is_some()
            && !signers.contains(&issuer)
        {
            signers.push(issuer);
        }
        signers
    }
}

fn decode_issuance(buf: &mut &[u8]) -> alloy_rlp::Result<Option<Issuance>> {
    let header = Header::decode(buf)?;
    if !header.list {
        return Err(alloy_rlp::Error::UnexpectedString);
    }
    if header.payload_length > buf.len() {
        return Err(alloy_rlp::Error::InputTooShort);
    }
    let (mut body, rest) = buf.split_at(header.payload_length);
    *buf = rest;
    if body.is_empty() {
        return Ok(None);
    }
    let asset = AssetId::decode(&mut body)?;
    let amount = U256::decode(&mut body)?;
    let definition = if body.is_empty() {
        None
    } else {
        Some(AssetDefinition::decode(&mut body)?)
    };
    if !body.is_empty() {
        return Err(alloy_rlp::Error::ListLengthMismatch {
            expected: header.payload_length - body.len(),
            got: header.payload_length,
        });
    }
    Ok(Some(Issuance {
        asset,
        amount,
        definition,
    }))
}

/// A decoded native transaction with its hash, its envelope and the addresses its
/// signatures recover to (in signature order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredNative {
    /// The transaction.
    pub tx: NativeTx,
    /// keccak256 of the envelope.
    pub hash: B256,
    /// The envelope, as decoded (a block's transactions trie and stored body use it).
    pub encoded: Bytes,
    /// Recovered signers, one per signature.
    pub signers: Vec<Address>,
}

impl RecoveredNative {
    /// Decodes `bytes` and recovers every signer. Fails on a malformed envelope, a
    /// signature that does not recover or has a high `s` (EIP-2).
    pub fn decode(bytes: &[u8]) -> Result<Self, NativeTxError> {
        let tx = NativeTx::decode_2718(bytes)?;
        Self::recover(tx, keccak256(bytes), Bytes::copy_from_slice(bytes))
    }

    /// Decodes an envelope read back from a stored block, whose first signer
    /// (`first_signer`, the transaction's "from") was recovered when the block was
    /// built. A transaction with one signature is not recovered again (a block of
    /// 10,000 native transfers would cost 10,000 recoveries each time it is read); one
    /// with several signatures recovers them all.
    ///
    /// # Trust
    ///
    /// The signer of a one-signature transaction is taken on trust, not verified: only
    /// for blocks this node executed and stored itself, never for transactions or blocks
    /// from the network, which go through [`RecoveredNative::decode`].
    pub fn decode_stored(bytes: &[u8], first_signer: Address) -> Result<Self, NativeTxError> {
        let tx = NativeTx::decode_2718(bytes)?;
        let hash = keccak256(bytes);
        if tx.signatures.len() == 1 {
            return Ok(Self {
                tx,
                hash,
                encoded: Bytes::copy_from_slice(bytes),
                signers: vec![first_signer],
            });
        }
        Self::recover(tx, hash, Bytes::copy_from_slice(bytes))
    }

    /// Recovers the signers of `tx` (whose envelope and its hash are given).
    fn recover(tx: NativeTx, hash: B256, encoded: Bytes) -> Result<Self, NativeTxError> {
        let sighash = tx.sighash();
        let mut signers = Vec::with_capacity(tx.signatures.len());
        for (index, sig) in tx.signatures.iter().enumerate() {
            if sig.normalize_s().is_some() {
                return Err(NativeTxError::BadSignature { index });
            }
            let signer = sig
                .recover_address_from_prehash(&sighash)
                .map_err(|_| NativeTxError::BadSignature { index })?;
            signers.push(signer);
        }
        Ok(Self {
            tx,
            hash,
            encoded,
            signers,
        })
    }

    /// Length of the envelope in bytes.
    pub fn size(&self) -> usize {
        self.encoded.len()
    }

    /// The owner of the first input's signature: the transaction's "from".
    pub fn sender(&self) -> Address {
        self.signers.first().copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    fn sample() -> NativeTx {
        NativeTx {
            chain_id: 19000,
            inputs: vec![OutPoint::new(B256::repeat_byte(1), 3)],
            outputs: vec![
                Output::new(AssetId::BTM, U256::from(5), Address::repeat_byte(9)),
                Output::new(
                    AssetId(B256::repeat_byte(7)),
                    U256::MAX,
                    Address::repeat_byte(8),
                ),
            ],
            issuance: Some(Issuance {
                asset: AssetId(B256::repeat_byte(7)),
                amount: U256::from(1000),
                definition: Some(AssetDefinition {
                    name: "Gold".into(),
                    symbol: "GLD".into(),
                    decimals: 8,
                    issuer: Address::repeat_byte(2),
                    data: vec![1, 2, 3].into(),
                }),
            }),
            signatures: vec![],
        }
    }

    #[test]
    fn envelope_round_trips_and_signers_recover() {
        let key = PrivateKeySigner::random();
        for issuance in [None, sample().issuance] {
            let mut tx = NativeTx {
                issuance,
                ..sample()
            };
            let sig = key.sign_hash_sync(&tx.sighash()).unwrap();
            tx.signatures.push(sig);
            let bytes = tx.encoded_2718();
            assert_eq!(bytes[0], NATIVE_TX_TYPE);
            let back = RecoveredNative::decode(&bytes).unwrap();
            assert_eq!(back.tx, tx);
            assert_eq!(back.hash, keccak256(&bytes));
            assert_eq!(back.signers, vec![key.address()]);
            // The signature does not cover itself: the sighash is unchanged.
            assert_eq!(back.tx.sighash(), tx.sighash());
        }
    }

    #[test]
    fn stored_envelopes_take_their_single_signer_from_the_block() {
        let (a, b) = (PrivateKeySigner::random(), PrivateKeySigner::random());
        let mut tx = sample();
        tx.signatures.push(a.sign_hash_sync(&tx.sighash()).unwrap());
        let bytes = tx.encoded_2718();
        let stored = RecoveredNative::decode_stored(&bytes, a.address()).unwrap();
        let recovered = RecoveredNative::decode(&bytes).unwrap();
        assert_eq!(
            (&stored.tx, stored.hash, &stored.encoded, &stored.signers),
            (
                &recovered.tx,
                recovered.hash,
                &recovered.encoded,
                &recovered.signers
            )
        );
        // Several signatures are recovered, whatever the stored first signer says.
        tx.signatures.push(b.sign_hash_sync(&tx.sighash()).unwrap());
        let bytes = tx.encoded_2718();
        let stored = RecoveredNative::decode_stored(&bytes, Address::ZERO).unwrap();
        assert_eq!(stored.signers, vec![a.address(), b.address()]);
        assert!(RecoveredNative::decode_stored(&bytes[..bytes.len() - 1], a.address()).is_err());
    }

    #[test]
    fn sighash_commits_to_the_chain_id_and_every_field() {
        let tx = sample();
        let mut other = tx.clone();
        other.chain_id = 1;
        assert_ne!(tx.sighash(), other.sighash());
        let mut other = tx.clone();
        other.outputs[0].amount += U256::from(1);
        assert_ne!(tx.sighash(), other.sighash());
        let mut other = tx.clone();
        other.issuance = None;
        assert_ne!(tx.sighash(), other.sighash());
    }

    #[test]
    fn malformed_envelopes_are_errors_not_panics() {
        let mut tx = sample();
        tx.signatures
            .push(Signature::new(U256::from(1), U256::from(1), false));
        let good = tx.encoded_2718();
        for cut in 0..good.len() {
            assert!(NativeTx::decode_2718(&good[..cut]).is_err(), "cut {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(NativeTx::decode_2718(&trailing).is_err());
        let mut wrong_type = good.clone();
        wrong_type[0] = 2;
        assert!(NativeTx::decode_2718(&wrong_type).is_err());
        // r = s = 1 does not recover (or recovers to garbage): never a panic.
        let _ = RecoveredNative::decode(&good);
    }
}
