//! The precompile set of bytom2 ([`Bytom2Precompiles`]): Ethereum's for the hard fork,
//! plus the chain's own precompiles from a registry ([`SystemPrecompile`]: the asset
//! issuer today, staking next). Built by [`crate::EvmConfig`].

use crate::issuer;
use alloy_primitives::Address;
use bytom2_utxo::native::assets::ASSET_ISSUER;
use revm::{
    context::Cfg,
    context_interface::ContextTr,
    handler::{EthPrecompiles, PrecompileProvider},
    interpreter::{CallInputs, InterpreterResult},
    primitives::{AddressSet, hardfork::SpecId},
};
use std::collections::BTreeMap;

/// A precompile of the chain's own, beside Ethereum's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SystemPrecompile {
    /// Native asset creation and issuance ([`ASSET_ISSUER`], `IAssetIssuer.sol`).
    AssetIssuer,
}

impl SystemPrecompile {
    /// Every system precompile, in a fixed order.
    pub const ALL: [Self; 1] = [Self::AssetIssuer];

    /// Where it lives.
    pub const fn address(self) -> Address {
        match self {
            Self::AssetIssuer => ASSET_ISSUER,
        }
    }

    fn run<CTX: ContextTr>(
        self,
        ctx: &mut CTX,
        inputs: &CallInputs,
    ) -> Result<InterpreterResult, String> {
        match self {
            Self::AssetIssuer => issuer::run_issuer(ctx, inputs),
        }
    }
}

/// Ethereum's precompiles of a hard fork plus a registry of [`SystemPrecompile`]s.
#[derive(Debug, Clone)]
pub struct Bytom2Precompiles {
    eth: EthPrecompiles,
    system: BTreeMap<Address, SystemPrecompile>,
    /// Both sets' addresses (warm from the start of every transaction).
    warm: AddressSet,
}

impl Bytom2Precompiles {
    /// Ethereum's precompiles of `spec` plus `system`.
    pub fn new(spec: SpecId, system: impl IntoIterator<Item = SystemPrecompile>) -> Self {
        let eth = EthPrecompiles::new(spec);
        let system: BTreeMap<Address, SystemPrecompile> =
            system.into_iter().map(|p| (p.address(), p)).collect();
        let mut this = Self {
            eth,
            system,
            warm: AddressSet::default(),
        };
        this.rebuild_warm();
        this
    }

    /// The chain's own precompiles, by address.
    pub fn system(&self) -> impl Iterator<Item = (Address, SystemPrecompile)> + '_ {
        self.system.iter().map(|(a, p)| (*a, *p))
    }

    /// The addresses of Ethereum's precompiles in the set (geth's
    /// `ActivePrecompiles`, which access lists leave out).
    pub fn ethereum_addresses(&self) -> impl Iterator<Item = Address> + '_ {
        self.eth.warm_addresses().iter().copied()
    }

    fn rebuild_warm(&mut self) {
        self.warm.clone_from(self.eth.warm_addresses());
        self.warm.extend(self.system.keys().copied());
    }
}

impl<CTX: ContextTr<Cfg: Cfg<Spec = SpecId>>> PrecompileProvider<CTX> for Bytom2Precompiles {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        // revm calls this before every transaction; the set only changes with the spec.
        let changed = <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.eth, spec);
        if changed {
            self.rebuild_warm();
        }
        changed
    }

    fn run(&mut self, ctx: &mut CTX, inputs: &CallInputs) -> Result<Option<Self::Output>, String> {
        match self.system.get(&inputs.bytecode_address) {
            Some(p) => p.run(ctx, inputs).map(Some),
            None => self.eth.run(ctx, inputs),
        }
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }

    fn contains(&self, address: &Address) -> bool {
        self.system.contains_key(address) || self.eth.contains(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use revm::{Context, MainContext, context::BlockEnv, database::EmptyDB};

    type Ctx = revm::Context<BlockEnv, revm::context::TxEnv, revm::context::CfgEnv, EmptyDB>;

    #[test]
    fn the_registry_adds_its_addresses_to_ethereums() {
        let with = Bytom2Precompiles::new(SpecId::PRAGUE, SystemPrecompile::ALL);
        let without = Bytom2Precompiles::new(SpecId::PRAGUE, []);
        let _ctx: Ctx = Context::mainnet();
        assert!(<Bytom2Precompiles as PrecompileProvider<Ctx>>::contains(
            &with,
            &ASSET_ISSUER
        ));
        assert!(!<Bytom2Precompiles as PrecompileProvider<Ctx>>::contains(
            &without,
            &ASSET_ISSUER
        ));
        let ecrecover = Address::with_last_byte(1);
        assert!(<Bytom2Precompiles as PrecompileProvider<Ctx>>::contains(
            &without, &ecrecover
        ));
        let warm = <Bytom2Precompiles as PrecompileProvider<Ctx>>::warm_addresses(&with);
        assert!(warm.contains(&ASSET_ISSUER) && warm.contains(&ecrecover));
        assert_eq!(
            with.system().collect::<Vec<_>>(),
            vec![(ASSET_ISSUER, SystemPrecompile::AssetIssuer)]
        );
    }
}
