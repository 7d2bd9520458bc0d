//! Running a wallet command: key, RPC, coin selection, signing, output.

use super::{
    amount::{format_amount, parse_amount},
    args::{IssueArgs, SendArgs, SubmitArgs, WalletArgs, WalletCommand},
    decode::decode,
    keys::KeyArgs,
    rpc::{AssetInfo, Rpc, parse_hex},
    select::{FeeSchedule, Request, SelectError, Selection, select},
};
use alloy_primitives::{Address, B256, U256, hex};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use anyhow::{Context as _, anyhow, bail};
use bytom2_utxo::{
    AssetId, Output,
    native::{
        Issuance, NativeLimits,
        assets::{AssetDefinition, token_address},
    },
};
use std::{collections::HashMap, fmt::Display, io::Write as _, time::Duration};

/// Runs `bytom2 wallet …`. Every error is one line naming the problem.
///
/// Starts a single-threaded tokio runtime for the RPC calls (none for `decode`); call it
/// from outside any runtime.
pub fn run(args: WalletArgs) -> anyhow::Result<()> {
    let WalletArgs {
        rpc_url,
        keys,
        command,
    } = args;
    let result = match command {
        WalletCommand::Decode { raw } => run_decode(&raw),
        command => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")
            .and_then(|rt| rt.block_on(Wallet::new(&rpc_url, keys)?.run(command))),
    };
    result.map_err(|e| anyhow!("{}", format!("{e:#}").replace(['\n', '\r'], " ")))
}

fn print(line: impl Display) -> anyhow::Result<()> {
    writeln!(std::io::stdout().lock(), "{line}").context("writing to stdout")
}

fn run_decode(raw: &str) -> anyhow::Result<()> {
    let bytes = parse_hex(raw, "raw transaction")?;
    let json = decode(&bytes)?;
    print(serde_json::to_string_pretty(&json)?)
}

/// Parses an address; a mixed-case one must carry a valid EIP-55 checksum.
pub(crate) fn parse_address(s: &str, what: &str) -> anyhow::Result<Address> {
    let s = s.trim();
    let a: Address = s
        .parse()
        .map_err(|e| anyhow!("invalid address {s:?} for {what}: {e}"))?;
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let mixed = digits.chars().any(|c| c.is_ascii_uppercase())
        && digits.chars().any(|c| c.is_ascii_lowercase());
    if mixed && a.to_checksum(None)[2..] != *digits {
        bail!("invalid address {s:?} for {what}: bad EIP-55 checksum");
    }
    Ok(a)
}

/// Parses an asset id: 32 bytes of hex, or `BTM`.
pub(crate) fn parse_asset_id(s: &str) -> anyhow::Result<AssetId> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("btm") {
        return Ok(AssetId::BTM);
    }
    s.parse::<B256>()
        .map(AssetId)
        .map_err(|_| anyhow!("invalid asset id {s:?}: expected 32 bytes of hex"))
}

struct Wallet {
    rpc: Rpc,
    keys: KeyArgs,
    signer: Option<PrivateKeySigner>,
    assets: HashMap<AssetId, AssetInfo>,
}

// === impl Wallet ===

impl Wallet {
    fn new(rpc_url: &str, keys: KeyArgs) -> anyhow::Result<Self> {
        Ok(Self {
            rpc: Rpc::new(rpc_url)?,
            keys,
            signer: None,
            assets: HashMap::from([(AssetId::BTM, AssetInfo::btm())]),
        })
    }

    async fn run(mut self, command: WalletCommand) -> anyhow::Result<()> {
        match command {
            WalletCommand::Address => print(self.signer()?.address()),
            WalletCommand::Balance { address } => self.balance(address.as_deref()).await,
            WalletCommand::Utxos { address, asset } => {
                self.utxos(address.as_deref(), asset.as_deref()).await
            }
            WalletCommand::Send(args) => self.send(args).await,
            WalletCommand::Issue(args) => self.issue(args).await,
            WalletCommand::Decode { raw } => run_decode(&raw),
        }
    }

    fn signer(&mut self) -> anyhow::Result<PrivateKeySigner> {
        if self.signer.is_none() {
            self.signer = self.keys.load()?;
        }
        self.signer
            .clone()
            .ok_or_else(|| anyhow!("no key: pass --private-key, --keystore or --mnemonic"))
    }

    /// `address`, or the key's address when it is omitted.
    fn owner(&mut self, address: Option<&str>) -> anyhow::Result<Address> {
        match address {
            Some(a) => parse_address(a, "ADDRESS"),
            None if self.keys.is_given() => Ok(self.signer()?.address()),
            None => {
                bail!("no address: pass ADDRESS or a key (--private-key, --keystore or --mnemonic)")
            }
        }
    }

    /// The asset's name, symbol and decimals; an error for an unknown asset.
    async fn asset(&mut self, id: AssetId) -> anyhow::Result<AssetInfo> {
        if let Some(info) = self.assets.get(&id) {
            return Ok(info.clone());
        }
        let info = self
            .rpc
            .asset(id)
            .await?
            .ok_or_else(|| anyhow!("unknown asset {id}"))?;
        self.assets.insert(id, info.clone());
        Ok(info)
    }

    async fn balance(&mut self, address: Option<&str>) -> anyhow::Result<()> {
        let owner = self.owner(address)?;
        let mut balances = self.rpc.balances(owner).await?;
        if !balances.iter().any(|(a, _)| a.is_btm()) {
            balances.insert(0, (AssetId::BTM, U256::ZERO));
        }
        let mut rows = Vec::with_capacity(balances.len());
        for (id, balance) in balances {
            let info = self.asset(id).await?;
            rows.push((
                format!("{} {}", format_amount(balance, info.decimals), info.symbol),
                id,
            ));
        }
        let width = rows.iter().map(|(a, _)| a.len()).max().unwrap_or(0);
        for (amount, id) in rows {
            print(format_args!("{amount:<width$}  {id}"))?;
        }
        Ok(())
    }

    async fn utxos(&mut self, address: Option<&str>, asset: Option<&str>) -> anyhow::Result<()> {
        let owner = self.owner(address)?;
        let asset = asset.map(parse_asset_id).transpose()?;
        if let Some(id) = asset {
            self.asset(id).await?;
        }
        let coins = self.rpc.list_unspent(owner, asset).await?;
        let mut rows = Vec::with_capacity(coins.len());
        for (op, coin) in coins {
            let info = self.asset(coin.output.asset).await?;
            rows.push((
                op,
                format!(
                    "{} {}",
                    format_amount(coin.output.amount, info.decimals),
                    info.symbol
                ),
                coin.origin.block,
            ));
        }
        let width = rows.iter().map(|(_, a, _)| a.len()).max().unwrap_or(0);
        for (op, amount, block) in rows {
            print(format_args!("{op}  {amount:<width$}  block {block}"))?;
        }
        Ok(())
    }

    async fn send(&mut self, args: SendArgs) -> anyhow::Result<()> {
        let key = self.signer()?;
        let from = key.address();
        let to = parse_address(&args.to, "--to")?;
        if to.is_zero() {
            bail!("cannot send to the zero address");
        }
        let id = args
            .asset
            .as_deref()
            .map(parse_asset_id)
            .transpose()?
            .unwrap_or(AssetId::BTM);
        let info = self.asset(id).await?;
        let amount = parse_amount(&args.amount, info.decimals, &info.symbol)?;
        if amount.is_zero() {
            bail!("amount must be above zero");
        }
        let (chain_id, fees) = tokio::try_join!(self.rpc.chain_id(), self.rpc.fee_schedule())?;
        if id.is_btm() && amount < fees.min_output {
            bail!(
                "amount {} BTM is below the minimum output {} BTM",
                format_amount(amount, 18),
                format_amount(fees.min_output, 18)
            );
        }
        let req = Request {
            chain_id,
            from,
            payments: vec![Output::new(id, amount, to)],
            issuance: None,
        };
        let selection = self.select(&req, &fees).await?;
        self.submit(&key, selection, chain_id, &fees, &args.submit)
            .await?;
        Ok(())
    }

    async fn issue(&mut self, args: IssueArgs) -> anyhow::Result<()> {
        let key = self.signer()?;
        let from = key.address();
        let to = match args.to.as_deref() {
            Some(a) => parse_address(a, "--to")?,
            None => from,
        };
        if to.is_zero() {
            bail!("cannot issue to the zero address");
        }
        let (id, info, definition) = match (&args.asset, &args.name) {
            (Some(asset), _) => {
                let id = parse_asset_id(asset)?;
                if id.is_btm() {
                    bail!("BTM cannot be issued");
                }
                let info = self.asset(id).await?;
                if info.issuer != Some(from) {
                    let issuer = info.issuer.map_or("nobody".into(), |a| a.to_string());
                    bail!("only the issuer {issuer} may issue asset {id} (the key is {from})");
                }
                (id, info, None)
            }
            (None, Some(name)) => {
                let data = match &args.data {
                    Some(h) => parse_hex(h, "--data")?,
                    None => Vec::new(),
                };
                let def = AssetDefinition {
                    name: name.clone(),
                    symbol: args.symbol.clone().unwrap_or_default(),
                    decimals: args.decimals.unwrap_or_default(),
                    issuer: from,
                    data: data.into(),
                };
                def.check()
                    .map_err(|e| anyhow!("invalid asset definition: {e}"))?;
                let id = def.asset_id();
                if self.rpc.asset(id).await?.is_some() {
                    bail!("asset {id} already exists");
                }
                let info = AssetInfo {
                    id,
                    name: def.name.clone(),
                    symbol: def.symbol.clone(),
                    decimals: def.decimals,
                    issuer: Some(from),
                };
                (id, info, Some(def))
            }
            (None, None) => bail!("pass --asset ID, or --name, --symbol and --decimals"),
        };
        let amount = parse_amount(&args.amount, info.decimals, &info.symbol)?;
        if amount.is_zero() && definition.is_none() {
            bail!("amount must be above zero");
        }
        let creates = definition.is_some();
        let (chain_id, fees) = tokio::try_join!(self.rpc.chain_id(), self.rpc.fee_schedule())?;
        let req = Request {
            chain_id,
            from,
            payments: if amount.is_zero() {
                Vec::new()
            } else {
                vec![Output::new(id, amount, to)]
            },
            issuance: Some(Issuance {
                asset: id,
                amount,
                definition,
            }),
        };
        let selection = self.select(&req, &fees).await?;
        self.submit(&key, selection, chain_id, &fees, &args.submit)
            .await?;
        if creates {
            print(format_args!("asset {id} token {}", token_address(id)))?;
        }
        Ok(())
    }

    /// Lists the sender's outputs and selects; a shortfall names the asset in its units.
    async fn select(&mut self, req: &Request, fees: &FeeSchedule) -> anyhow::Result<Selection> {
        let coins = self.rpc.list_unspent(req.from, None).await?;
        match select(&coins, req, fees) {
            Ok(s) => Ok(s),
            Err(SelectError::Insufficient {
                asset,
                have,
                need,
                what,
            }) => {
                let info = self.asset(asset).await?;
                let f = |v| format_amount(v, info.decimals);
                let what = what.map(|w| format!(" ({w})")).unwrap_or_default();
                Err(anyhow!(
                    "insufficient funds: have {} {sym}, need {} {sym}{what}",
                    f(have),
                    f(need),
                    sym = info.symbol
                ))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Signs the selection; prints it (`--dry-run`) or submits it and prints its hash,
    /// then waits for a block with `--wait`.
    async fn submit(
        &self,
        key: &PrivateKeySigner,
        selection: Selection,
        chain_id: u64,
        fees: &FeeSchedule,
        how: &SubmitArgs,
    ) -> anyhow::Result<()> {
        let mut tx = selection.tx;
        let sighash = tx.sighash();
        let signature = key
            .sign_hash_sync(&sighash)
            .map_err(|e| anyhow!("signing failed: {e}"))?;
        tx.signatures = vec![signature; selection.signers];
        let raw = tx.encoded_2718();
        let limits = NativeLimits {
            min_output_amount: fees.min_output,
            ..NativeLimits::default()
        };
        tx.check(chain_id, raw.len(), &limits)
            .map_err(|e| anyhow!("{e}"))?;
        if how.dry_run {
            return print(hex::encode_prefixed(&raw));
        }
        let hash = self.rpc.send_raw(&raw).await?;
        print(hash)?;
        if how.wait {
            self.rpc
                .wait_mined(hash, Duration::from_secs(how.wait_timeout))
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn addresses_with_checksums() {
        let good = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
        let a = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        assert_eq!(parse_address(good, "--to").unwrap(), a);
        assert_eq!(parse_address(&good.to_lowercase(), "--to").unwrap(), a);
        assert_eq!(parse_address(&good[2..], "--to").unwrap(), a);
        let e = parse_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267", "--to")
            .unwrap_err()
            .to_string();
        assert!(e.contains("checksum"), "{e}");
        let e = parse_address("0x1234", "--to").unwrap_err().to_string();
        assert!(e.starts_with("invalid address \"0x1234\" for --to"), "{e}");
    }

    #[test]
    fn asset_ids() {
        assert_eq!(parse_asset_id("BTM").unwrap(), AssetId::BTM);
        let id = format!("0x{}", "ab".repeat(32));
        assert_eq!(
            parse_asset_id(&id).unwrap(),
            AssetId(B256::repeat_byte(0xab))
        );
        assert!(
            parse_asset_id("0x12")
                .unwrap_err()
                .to_string()
                .contains("expected 32 bytes")
        );
    }
}
