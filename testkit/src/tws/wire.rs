//! Framing and handshake of the TWS protocol as `ibapi` 5.5 speaks it.
//!
//! - Handshake: the client sends `"API\0"` (no length), then a length-prefixed version range
//!   `"v213..226"`; the server answers one length-prefixed text frame
//!   `"<version>\0<YYYYMMDD HH:MM:SS zone>\0"`.
//! - After that every frame is `u32 BE length` + `i32 BE message id` + payload; protobuf
//!   messages carry `id + 200` and a protobuf payload (all of `ibapi` 5.5's do).

use tokio::io::{AsyncRead, AsyncReadExt};

/// Offset added to a message id for protobuf payloads.
pub(crate) const PROTOBUF: i32 = 200;
/// Largest frame `ibapi` accepts.
pub(crate) const MAX_FRAME: usize = 0x00FF_FFFF;

/// Messages the client sends (before the protobuf offset).
pub(crate) mod request {
    pub(crate) const PLACE_ORDER: i32 = 3;
    pub(crate) const MARKET_DATA: i32 = 1;
    pub(crate) const CANCEL_MARKET_DATA: i32 = 2;
    pub(crate) const CANCEL_ORDER: i32 = 4;
    pub(crate) const OPEN_ORDERS: i32 = 5;
    pub(crate) const EXECUTIONS: i32 = 7;
    pub(crate) const IDS: i32 = 8;
    pub(crate) const CONTRACT_DATA: i32 = 9;
    pub(crate) const AUTO_OPEN_ORDERS: i32 = 15;
    pub(crate) const ALL_OPEN_ORDERS: i32 = 16;
    pub(crate) const MANAGED_ACCOUNTS: i32 = 17;
    pub(crate) const HISTORICAL_DATA: i32 = 20;
    pub(crate) const CANCEL_HISTORICAL_DATA: i32 = 25;
    pub(crate) const CURRENT_TIME: i32 = 49;
    pub(crate) const GLOBAL_CANCEL: i32 = 58;
    pub(crate) const MARKET_DATA_TYPE: i32 = 59;
    pub(crate) const POSITIONS: i32 = 61;
    pub(crate) const ACCOUNT_SUMMARY: i32 = 62;
    pub(crate) const CANCEL_ACCOUNT_SUMMARY: i32 = 63;
    pub(crate) const CANCEL_POSITIONS: i32 = 64;
    pub(crate) const START_API: i32 = 71;
    pub(crate) const PNL: i32 = 92;
    pub(crate) const CANCEL_PNL: i32 = 93;
    pub(crate) const PNL_SINGLE: i32 = 94;
    pub(crate) const CANCEL_PNL_SINGLE: i32 = 95;
    pub(crate) const COMPLETED_ORDERS: i32 = 99;
    pub(crate) const CURRENT_TIME_MILLIS: i32 = 105;
    pub(crate) const CANCEL_CONTRACT_DATA: i32 = 106;
    pub(crate) const MARKET_DEPTH: i32 = 10;
    pub(crate) const CANCEL_MARKET_DEPTH: i32 = 11;
    pub(crate) const REAL_TIME_BARS: i32 = 50;
    pub(crate) const CANCEL_REAL_TIME_BARS: i32 = 51;
    pub(crate) const TICK_BY_TICK: i32 = 97;
    pub(crate) const CANCEL_TICK_BY_TICK: i32 = 98;
}

/// Messages the server sends (before the protobuf offset).
pub(crate) mod reply {
    pub(crate) const TICK_PRICE: i32 = 1;
    pub(crate) const MARKET_DEPTH: i32 = 12;
    pub(crate) const REAL_TIME_BAR: i32 = 50;
    pub(crate) const TICK_BY_TICK: i32 = 99;
    pub(crate) const TICK_SIZE: i32 = 2;
    pub(crate) const ORDER_STATUS: i32 = 3;
    pub(crate) const ERROR: i32 = 4;
    pub(crate) const OPEN_ORDER: i32 = 5;
    pub(crate) const NEXT_VALID_ID: i32 = 9;
    pub(crate) const CONTRACT_DATA: i32 = 10;
    pub(crate) const EXECUTION_DATA: i32 = 11;
    pub(crate) const MANAGED_ACCOUNTS: i32 = 15;
    pub(crate) const HISTORICAL_DATA: i32 = 17;
    pub(crate) const CURRENT_TIME: i32 = 49;
    pub(crate) const CONTRACT_DATA_END: i32 = 52;
    pub(crate) const OPEN_ORDER_END: i32 = 53;
    pub(crate) const EXECUTION_DATA_END: i32 = 55;
    pub(crate) const TICK_SNAPSHOT_END: i32 = 57;
    pub(crate) const MARKET_DATA_TYPE: i32 = 58;
    pub(crate) const COMMISSION_REPORT: i32 = 59;
    pub(crate) const POSITION: i32 = 61;
    pub(crate) const POSITION_END: i32 = 62;
    pub(crate) const ACCOUNT_SUMMARY: i32 = 63;
    pub(crate) const ACCOUNT_SUMMARY_END: i32 = 64;
    pub(crate) const TICK_REQ_PARAMS: i32 = 81;
    pub(crate) const PNL: i32 = 94;
    pub(crate) const PNL_SINGLE: i32 = 95;
    pub(crate) const COMPLETED_ORDER: i32 = 101;
    pub(crate) const COMPLETED_ORDERS_END: i32 = 102;
    pub(crate) const HISTORICAL_DATA_END: i32 = 108;
    pub(crate) const CURRENT_TIME_MILLIS: i32 = 109;
}

/// The name of a request message, for recordings and logs.
pub(crate) fn request_name(id: i32) -> &'static str {
    use request::*;
    match id {
        PLACE_ORDER => "PlaceOrder",
        REAL_TIME_BARS => "RealTimeBars",
        CANCEL_REAL_TIME_BARS => "CancelRealTimeBars",
        TICK_BY_TICK => "TickByTick",
        CANCEL_TICK_BY_TICK => "CancelTickByTick",
        MARKET_DEPTH => "MarketDepth",
        CANCEL_MARKET_DEPTH => "CancelMarketDepth",
        MARKET_DATA => "MarketData",
        CANCEL_MARKET_DATA => "CancelMarketData",
        CANCEL_ORDER => "CancelOrder",
        OPEN_ORDERS => "OpenOrders",
        EXECUTIONS => "Executions",
        IDS => "Ids",
        CONTRACT_DATA => "ContractData",
        AUTO_OPEN_ORDERS => "AutoOpenOrders",
        ALL_OPEN_ORDERS => "AllOpenOrders",
        MANAGED_ACCOUNTS => "ManagedAccounts",
        HISTORICAL_DATA => "HistoricalData",
        CANCEL_HISTORICAL_DATA => "CancelHistoricalData",
        CURRENT_TIME => "CurrentTime",
        GLOBAL_CANCEL => "GlobalCancel",
        MARKET_DATA_TYPE => "MarketDataType",
        POSITIONS => "Positions",
        ACCOUNT_SUMMARY => "AccountSummary",
        CANCEL_ACCOUNT_SUMMARY => "CancelAccountSummary",
        CANCEL_POSITIONS => "CancelPositions",
        START_API => "StartApi",
        PNL => "PnL",
        CANCEL_PNL => "CancelPnL",
        PNL_SINGLE => "PnLSingle",
        CANCEL_PNL_SINGLE => "CancelPnLSingle",
        COMPLETED_ORDERS => "CompletedOrders",
        CURRENT_TIME_MILLIS => "CurrentTimeInMillis",
        CANCEL_CONTRACT_DATA => "CancelContractData",
        _ => "Unsupported",
    }
}

/// A protocol violation by the client.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
    #[error("connection closed")]
    Closed,
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad handshake: {0}")]
    Handshake(String),
    #[error("bad frame length {0}")]
    Length(usize),
}

/// Encodes one frame: length, message id (+200 for protobuf) and payload.
pub(crate) fn frame(message_id: i32, payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(4 + payload.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&(message_id + PROTOBUF).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Encodes the handshake answer: `"<version>\0<time>\0"`, length-prefixed, no message id.
pub(crate) fn handshake_reply(server_version: i32, connection_time: &str) -> Vec<u8> {
    let text = format!("{server_version}\0{connection_time}\0");
    let mut out = Vec::with_capacity(4 + text.len());
    out.extend_from_slice(&u32::try_from(text.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    out
}

async fn read_length<R: AsyncRead + Unpin>(reader: &mut R) -> Result<usize, WireError> {
    let mut length = [0u8; 4];
    match reader.read_exact(&mut length).await {
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(WireError::Closed);
        }
        Err(error) => return Err(error.into()),
    }
    let length = u32::from_be_bytes(length) as usize;
    if length > MAX_FRAME {
        return Err(WireError::Length(length));
    }
    Ok(length)
}

/// Reads the client's handshake; returns the highest version it offers.
pub(crate) async fn read_handshake<R: AsyncRead + Unpin>(reader: &mut R) -> Result<i32, WireError> {
    let mut prefix = [0u8; 4];
    reader.read_exact(&mut prefix).await?;
    if &prefix != b"API\0" {
        return Err(WireError::Handshake(format!(
            "expected API\\0, got {prefix:?}"
        )));
    }
    let length = read_length(reader).await?;
    let mut versions = vec![0u8; length];
    reader.read_exact(&mut versions).await?;
    let text = String::from_utf8_lossy(&versions);
    let max = text
        .trim_start_matches('v')
        .split("..")
        .last()
        .and_then(|v| v.trim_end_matches('\0').parse().ok())
        .ok_or_else(|| WireError::Handshake(format!("bad version range {text:?}")))?;
    Ok(max)
}

/// Reads one frame; returns the message id (protobuf offset removed) and the payload.
pub(crate) async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
) -> Result<(i32, Vec<u8>), WireError> {
    let length = read_length(reader).await?;
    if length < 4 {
        return Err(WireError::Length(length));
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await?;
    let id = i32::from_be_bytes([body[0], body[1], body[2], body[3]]);
    let id = if id > PROTOBUF { id - PROTOBUF } else { id };
    body.drain(..4);
    Ok((id, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tws::proto;

    #[test]
    fn frames_match_the_reference_vectors() {
        // CurrentTime 1705752000 (from the protocol reference).
        let payload = proto::encode(&proto::CurrentTime {
            current_time: Some(1_705_752_000),
        });
        assert_eq!(
            frame(reply::CURRENT_TIME, &payload),
            [
                0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0xf9, 0x08, 0xc0, 0xeb, 0xae, 0xad, 0x06
            ]
        );
        // PositionEnd: an empty payload.
        assert_eq!(frame(reply::POSITION_END, &[]), [0, 0, 0, 4, 0, 0, 1, 6]);
        // Error 2104 without a request id: id -1 is a ten-byte varint.
        let payload = proto::encode(&proto::ErrorMessage {
            id: Some(-1),
            error_time: None,
            error_code: Some(2104),
            error_msg: None,
        });
        assert_eq!(
            &payload[..11],
            [
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ]
        );
        assert_eq!(
            handshake_reply(222, "20240120 12:00:00 EST")[..8],
            [0, 0, 0, 0x1a, b'2', b'2', b'2', 0]
        );
    }

    #[tokio::test]
    async fn reads_a_handshake_and_frames() {
        let mut input: Vec<u8> = b"API\0".to_vec();
        input.extend_from_slice(&[0, 0, 0, 9]);
        input.extend_from_slice(b"v213..226");
        input.extend_from_slice(&[0, 0, 0, 6, 0, 0, 1, 0x0f, 0x08, 0x64]);
        let mut reader = input.as_slice();
        assert_eq!(read_handshake(&mut reader).await.unwrap(), 226);
        let (id, payload) = read_frame(&mut reader).await.unwrap();
        assert_eq!(id, request::START_API);
        let start: proto::StartApiRequest = prost::Message::decode(payload.as_slice()).unwrap();
        assert_eq!(start.client_id, Some(100));
        assert!(matches!(
            read_frame(&mut reader).await,
            Err(WireError::Closed)
        ));
    }
}
