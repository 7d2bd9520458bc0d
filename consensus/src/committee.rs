//! Who votes in an epoch: the committee (consensus keys and the fee recipient of each),
//! where committees come from ([`CommitteeSource`]: the genesis validators today, the
//! stake election later), and the signing scheme per epoch that the engine and the
//! certificate checks use ([`CommitteeProvider`]).
//!
//! Votes use Commonware's ed25519 scheme: attributable (two conflicting votes of one
//! validator are evidence anyone can check), one key per validator serving both as its
//! p2p identity and its vote key, one vote per member, quorum 2f+1.

use alloy_primitives::Address;
use commonware_consensus::types::Epoch;
use commonware_cryptography::certificate::{Provider, Scoped};
use commonware_utils::ordered::Set;
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

/// The vote signing scheme.
pub type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;
/// A validator's consensus (and p2p) public key.
pub type PublicKey = commonware_cryptography::ed25519::PublicKey;
/// A validator's consensus (and p2p) private key.
pub type PrivateKey = commonware_cryptography::ed25519::PrivateKey;

/// One committee member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Consensus public key.
    pub key: PublicKey,
    /// Receives the priority fees of the blocks it proposes.
    pub fee_recipient: Address,
}

/// The validators of one epoch, ordered by public key (a signer's index in a
/// certificate is its position here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committee {
    keys: Set<PublicKey>,
    fee_recipients: Vec<Address>,
}

/// A committee that cannot be formed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CommitteeError {
    /// No members.
    #[error("the committee is empty")]
    Empty,
    /// One key listed twice.
    #[error("validator {0} is listed twice")]
    Duplicate(String),
}

impl Committee {
    /// A committee of `members` (any order; sorted here).
    pub fn new(members: impl IntoIterator<Item = Member>) -> Result<Self, CommitteeError> {
        let mut by_key = BTreeMap::new();
        for m in members {
            if by_key.insert(m.key.clone(), m.fee_recipient).is_some() {
                return Err(CommitteeError::Duplicate(m.key.to_string()));
            }
        }
        if by_key.is_empty() {
            return Err(CommitteeError::Empty);
        }
        let keys = Set::from_iter_dedup(by_key.keys().cloned());
        let fee_recipients = by_key.into_values().collect();
        Ok(Self {
            keys,
            fee_recipients,
        })
    }

    /// The members' keys, ordered.
    pub fn keys(&self) -> &Set<PublicKey> {
        &self.keys
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.fee_recipients.len()
    }

    /// Whether there are no members (never true of a formed committee).
    pub fn is_empty(&self) -> bool {
        self.fee_recipients.is_empty()
    }

    /// Whether `key` is a member.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.keys.position(key).is_some()
    }

    /// The fee recipient of member `key`.
    pub fn fee_recipient(&self, key: &PublicKey) -> Option<Address> {
        self.keys.position(key).map(|i| self.fee_recipients[i])
    }

    /// The members in signer order.
    pub fn members(&self) -> impl Iterator<Item = Member> + '_ {
        self.keys
            .iter()
            .zip(&self.fee_recipients)
            .map(|(key, fee_recipient)| Member {
                key: key.clone(),
                fee_recipient: *fee_recipient,
            })
    }
}

/// Where the committee of each epoch comes from. Must answer the same for every node
/// (it feeds votes): the genesis committee, or the stake election recorded on chain.
pub trait CommitteeSource: Send + Sync + 'static {
    /// The committee of `epoch`, or `None` if it is not known yet.
    fn committee(&self, epoch: Epoch) -> Option<Arc<Committee>>;
}

/// The same committee for every epoch (the genesis validators, until staking elects).
#[derive(Clone, Debug)]
pub struct FixedCommittee(pub Arc<Committee>);

impl CommitteeSource for FixedCommittee {
    fn committee(&self, _epoch: Epoch) -> Option<Arc<Committee>> {
        Some(self.0.clone())
    }
}

/// The signing scheme of each epoch: a signer if this node holds a member's key, a
/// verifier otherwise. Built once per epoch and kept.
#[derive(Clone)]
pub struct CommitteeProvider {
    namespace: Arc<[u8]>,
    source: Arc<dyn CommitteeSource>,
    key: Option<PrivateKey>,
    schemes: Arc<Mutex<BTreeMap<Epoch, Scoped<Scheme>>>>,
}

impl std::fmt::Debug for CommitteeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitteeProvider")
            .field("signer", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// Epoch schemes kept at most (older ones are rebuilt on demand).
const KEPT_EPOCHS: usize = 8;

impl CommitteeProvider {
    /// A provider signing with `key` (if given) under the vote `namespace`.
    pub fn new(
        namespace: &[u8],
        source: Arc<dyn CommitteeSource>,
        key: Option<PrivateKey>,
    ) -> Self {
        Self {
            namespace: namespace.into(),
            source,
            key,
            schemes: Default::default(),
        }
    }

    /// The committee of `epoch`.
    pub fn committee(&self, epoch: Epoch) -> Option<Arc<Committee>> {
        self.source.committee(epoch)
    }

    /// The vote namespace.
    pub fn namespace(&self) -> &[u8] {
        &self.namespace
    }
}

impl Provider for CommitteeProvider {
    type Scope = Epoch;
    type Scheme = Scheme;

    fn scoped(&self, epoch: Epoch) -> Option<Scoped<Scheme>> {
        if let Some(s) = self.schemes.lock().expect("not poisoned").get(&epoch) {
            return Some(s.clone());
        }
        let committee = self.source.committee(epoch)?;
        let keys = committee.keys().clone();
        let signer = self
            .key
            .clone()
            .and_then(|k| Scheme::signer(&self.namespace, keys.clone(), k));
        let scoped = match signer {
            Some(s) => Scoped::scheme(Arc::new(s)),
            None => Scoped::verifier(Arc::new(Scheme::verifier(&self.namespace, keys))),
        };
        let mut schemes = self.schemes.lock().expect("not poisoned");
        schemes.insert(epoch, scoped.clone());
        while schemes.len() > KEPT_EPOCHS {
            schemes.pop_first();
        }
        Some(scoped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::{Signer as _, certificate::Scheme as _};

    fn key(seed: u64) -> PrivateKey {
        PrivateKey::from_seed(seed)
    }

    #[test]
    fn members_are_ordered_by_key_and_keep_their_fee_recipient() {
        let members: Vec<_> = (0..4)
            .map(|i| Member {
                key: key(i).public_key(),
                fee_recipient: Address::with_last_byte(i as u8),
            })
            .collect();
        let c = Committee::new(members.clone()).unwrap();
        assert_eq!(c.len(), 4);
        for m in &members {
            assert_eq!(c.fee_recipient(&m.key), Some(m.fee_recipient));
        }
        let ordered: Vec<_> = c.members().map(|m| m.key).collect();
        let mut sorted = ordered.clone();
        sorted.sort();
        assert_eq!(ordered, sorted);
        assert_eq!(
            Committee::new(vec![members[0].clone(), members[0].clone()]),
            Err(CommitteeError::Duplicate(members[0].key.to_string()))
        );
        assert_eq!(Committee::new(vec![]), Err(CommitteeError::Empty));
    }

    #[test]
    fn a_member_key_signs_and_others_verify() {
        let c = Arc::new(
            Committee::new((0..4).map(|i| Member {
                key: key(i).public_key(),
                fee_recipient: Address::ZERO,
            }))
            .unwrap(),
        );
        let source: Arc<dyn CommitteeSource> = Arc::new(FixedCommittee(c));
        let member = CommitteeProvider::new(b"ns", source.clone(), Some(key(1)));
        assert!(member.scheme(Epoch::zero()).is_some());
        let outsider = CommitteeProvider::new(b"ns", source, Some(key(9)));
        assert!(outsider.scoped(Epoch::zero()).is_some());
        assert!(outsider.scheme(Epoch::zero()).is_none());
        assert!(member.scheme(Epoch::zero()).unwrap().me().is_some());
    }
}
