//! JSON-RPC error codes and constructors, with geth's codes and messages
//! (`rpc/errors.go`, `internal/ethapi/errors.go`): clients match on them.

use alloy_primitives::{Bytes, U256};
use jsonrpsee::types::ErrorObjectOwned;

/// Result of an RPC method.
pub(crate) type RpcResult<T> = Result<T, ErrorObjectOwned>;

/// Invalid method parameters.
pub(crate) const INVALID_PARAMS: i32 = -32602;
/// The method does not exist.
pub(crate) const METHOD_NOT_FOUND: i32 = -32601;
/// Internal error (the node failed).
pub(crate) const INTERNAL_ERROR: i32 = -32603;
/// geth's default server error code: invalid transactions, missing headers, filters.
pub(crate) const SERVER_ERROR: i32 = -32000;
/// Execution reverted (eth_call, eth_estimateGas).
pub(crate) const REVERTED: i32 = 3;

/// `-32602` with `message`.
pub(crate) fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS, message, None::<()>)
}

/// `-32000` with `message` (geth's default code).
pub(crate) fn server_error(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(SERVER_ERROR, message, None::<()>)
}

/// `-32603`: the node failed (storage, corruption). Logged once here.
pub(crate) fn internal(message: impl std::fmt::Display) -> ErrorObjectOwned {
    tracing::warn!(target: "rpc::eth", error = %message, "internal error");
    ErrorObjectOwned::owned(INTERNAL_ERROR, message.to_string(), None::<()>)
}

/// `-32601` "the method X does not exist/is not available".
pub(crate) fn method_not_found(method: &str) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        METHOD_NOT_FOUND,
        format!("the method {method} does not exist/is not available"),
        None::<()>,
    )
}

/// `-32000` "header not found": a block number above the chain head.
pub(crate) fn header_not_found() -> ErrorObjectOwned {
    server_error("header not found")
}

/// `-32000` "header for hash not found".
pub(crate) fn hash_not_found() -> ErrorObjectOwned {
    server_error("header for hash not found")
}

/// Code 3: `execution reverted[: reason]`, `data` the hex revert bytes.
pub(crate) fn reverted(output: &Bytes) -> ErrorObjectOwned {
    let message = match decode_revert_reason(output) {
        Some(reason) => format!("execution reverted: {reason}"),
        None => "execution reverted".to_string(),
    };
    ErrorObjectOwned::owned(REVERTED, message, Some(output.to_string()))
}

/// `Error(string)` selector.
const ERROR_SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
/// `Panic(uint256)` selector.
const PANIC_SELECTOR: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];

/// The reason of a revert as geth's `abi.UnpackRevert` gives it: the string of an
/// `Error(string)`, or the text of a `Panic(uint256)` code.
pub(crate) fn decode_revert_reason(data: &[u8]) -> Option<String> {
    if data.len() < 4 {
        return None;
    }
    let (selector, body) = data.split_at(4);
    if selector == ERROR_SELECTOR {
        let word = |i: usize| -> Option<usize> {
            let w = body.get(i..i + 32)?;
            let v = U256::from_be_slice(w);
            (v <= U256::from(u32::MAX)).then(|| v.to::<usize>())
        };
        let offset = word(0)?;
        let len = word(offset)?;
        let start = offset.checked_add(32)?;
        let bytes = body.get(start..start.checked_add(len)?)?;
        return String::from_utf8(bytes.to_vec()).ok();
    }
    if selector == PANIC_SELECTOR && body.len() >= 32 {
        let code = U256::from_be_slice(&body[..32]);
        let reason = match code.try_into().unwrap_or(u64::MAX) {
            0x00 => "generic panic",
            0x01 => "assert(false)",
            0x11 => "arithmetic underflow or overflow",
            0x12 => "division or modulo by zero",
            0x21 => "enum overflow",
            0x22 => "invalid encoded storage byte array accessed",
            0x31 => "out-of-bounds array access; popping on an empty array",
            0x32 => "out-of-bounds access of an array or bytesSlice",
            0x41 => "out of memory",
            0x51 => "uninitialized function",
            _ => return Some(format!("unknown panic code: {code:#x}")),
        };
        return Some(reason.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_string(s: &str) -> Vec<u8> {
        let mut out = ERROR_SELECTOR.to_vec();
        out.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        out.extend_from_slice(&U256::from(s.len()).to_be_bytes::<32>());
        let mut padded = s.as_bytes().to_vec();
        padded.resize(s.len().div_ceil(32) * 32, 0);
        out.extend_from_slice(&padded);
        out
    }

    #[test]
    fn decodes_error_string() {
        assert_eq!(
            decode_revert_reason(&error_string("not owner")).as_deref(),
            Some("not owner")
        );
        let err = reverted(&Bytes::from(error_string("nope")));
        assert_eq!(err.code(), 3);
        assert_eq!(err.message(), "execution reverted: nope");
    }

    #[test]
    fn decodes_panic_and_rejects_garbage() {
        let mut data = PANIC_SELECTOR.to_vec();
        data.extend_from_slice(&U256::from(0x11).to_be_bytes::<32>());
        assert_eq!(
            decode_revert_reason(&data).as_deref(),
            Some("arithmetic underflow or overflow")
        );
        assert_eq!(decode_revert_reason(&[1, 2, 3, 4, 5]), None);
        assert_eq!(decode_revert_reason(&ERROR_SELECTOR), None);
        let err = reverted(&Bytes::from(vec![0u8; 32]));
        assert_eq!(err.message(), "execution reverted");
        assert_eq!(
            err.data().map(|d| d.get()),
            Some(format!("\"0x{}\"", "00".repeat(32)).as_str())
        );
    }
}
