#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use rust_decimal::Decimal;

use super::*;
use crate::config::Caps;

fn folder() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("journal-test-{}", correlation_id()));
    std::fs::create_dir_all(&dir).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    dir
}

fn intent(value: i64) -> Intent {
    Intent {
        attempt: Attempt {
            id: correlation_id(),
            venue: Venue::Backpack,
            mode: Mode::Simulated,
            tool: "backpack_create_order",
            session: "s1".into(),
            symbol: "SOL_USDC".into(),
            request: serde_json::json!({ "symbol": "SOL_USDC" }),
        },
        exposure: Some(Valued {
            value: Some(Decimal::from(value)),
            currency: "USDC".into(),
            basis: "test".into(),
        }),
    }
}

fn daily(cap: i64) -> Caps {
    Caps {
        max_daily_notional: Some(Decimal::from(cap)),
        ..Caps::unlimited("USDC")
    }
}

#[test]
fn two_journals_on_one_file_share_the_daily_cap() {
    let dir = folder();
    let path = dir.join("journal.db");
    let (first, second) = (Journal::new(Some(path.clone())), Journal::new(Some(path)));
    let now = Utc::now();
    let caps = daily(100);
    let id = first.reserve(&intent(60), &caps, || Ok(()), now).unwrap();
    let refused = second
        .reserve(&intent(60), &caps, || Ok(()), now)
        .unwrap_err();
    assert!(
        refused.message.contains("only 40 of the 24-hour cap"),
        "{refused}"
    );
    assert_eq!(refused.code, ErrorCode::CapExceeded);
    first
        .finish(&id, &intent(60).attempt, WriteOutcome::Rejected, "no", None)
        .unwrap();
    second.reserve(&intent(60), &caps, || Ok(()), now).unwrap();
    let refusals = second
        .entries(&Filter {
            outcome: Some(WriteOutcome::NotSent),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(
        refusals.len(),
        1,
        "the refusal is journaled with its reason"
    );
    assert_eq!(refusals[0].phase, Phase::Refusal);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_gate_is_checked_inside_the_transaction_and_refusals_are_kept() {
    let dir = folder();
    let journal = Journal::new(Some(dir.join("journal.db")));
    let refused = journal
        .reserve(
            &intent(1),
            &Caps::unlimited("USDC"),
            || Err(ToolError::new(ErrorCode::KillSwitch, "kill switch")),
            Utc::now(),
        )
        .unwrap_err();
    assert_eq!(
        refused,
        ToolError::new(ErrorCode::KillSwitch, "kill switch")
    );
    let rows = journal.entries(&Filter::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].detail.as_deref(), Some("kill switch"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_journal_is_append_only_and_private() {
    let dir = folder();
    let path = dir.join("journal.db");
    let journal = Journal::new(Some(path.clone()));
    journal
        .reserve(&intent(1), &Caps::unlimited("USDC"), || Ok(()), Utc::now())
        .unwrap();
    let connection = Connection::open(&path).unwrap();
    assert!(
        connection
            .execute("DELETE FROM entries", [])
            .unwrap_err()
            .to_string()
            .contains("append-only")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let shared = dir.join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        let open = Journal::new(Some(shared.join("journal.db")));
        let error = open
            .reserve(&intent(1), &Caps::unlimited("USDC"), || Ok(()), Utc::now())
            .unwrap_err();
        assert!(error.message.contains("other users"), "{error}");
        assert_eq!(error.code, ErrorCode::JournalUnavailable);
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn no_path_refuses_every_write() {
    let journal = Journal::new(None);
    let error = journal
        .reserve(&intent(1), &Caps::unlimited("USDC"), || Ok(()), Utc::now())
        .unwrap_err();
    assert!(error.message.contains("TRADING_MCP_JOURNAL"), "{error}");
}

const OLD: &str = r#"{"ts":"2026-12-02T10:00:00Z","id":"a","venue":"backpack","mode":"simulated","tool":"backpack_create_order","phase":"intent","notional":"100"}
{"ts":"2026-12-02T10:00:01Z","id":"a","venue":"backpack","mode":"simulated","tool":"backpack_create_order","phase":"result","outcome":"accepted","detail":"order 1"}
"#;

#[test]
fn an_old_jsonl_journal_is_imported_once_and_a_torn_last_line_dropped() {
    let dir = folder();
    let old = dir.join("journal.jsonl");
    std::fs::write(&old, format!("{OLD}{{\"ts\":\"2026-12")).unwrap();
    let journal = Journal::new(Some(dir.join("journal.db")));
    let now = DateTime::parse_from_rfc3339("2026-12-02T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        journal.used(Venue::Backpack, Mode::Simulated, now).unwrap(),
        Decimal::from(100)
    );
    assert!(!old.exists() && dir.join("journal.jsonl.migrated").exists());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_unreadable_old_line_stops_trading_until_a_person_looks() {
    let dir = folder();
    std::fs::write(dir.join("journal.jsonl"), format!("not json\n{OLD}")).unwrap();
    let journal = Journal::new(Some(dir.join("journal.db")));
    let error = journal.health().unwrap_err();
    assert!(error.contains("line 1"), "{error}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_damaged_database_refuses_every_write() {
    let dir = folder();
    let path = dir.join("journal.db");
    std::fs::write(&path, vec![0x5a_u8; 8_192]).unwrap();
    let journal = Journal::new(Some(path));
    let error = journal
        .reserve(&intent(1), &Caps::unlimited("USDC"), || Ok(()), Utc::now())
        .unwrap_err();
    assert!(error.message.contains("cannot be opened"), "{error}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_handed_token_is_taken_once_and_never_after_it_expires() {
    let dir = folder();
    let journal = Journal::new(Some(dir.join("journal.db")));
    // The journal keeps milliseconds.
    let now = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    let token = |name: &str, expires| HandedToken {
        token: name.into(),
        venue: Venue::Backpack,
        order: serde_json::json!({ "symbol": "SOL_USDC", "quantity": "1" }),
        expires,
    };
    let live = token("ct_live", now + ChronoDuration::seconds(60));
    journal.hand_over_token(&live, now).unwrap();
    journal
        .hand_over_token(&token("ct_old", now + ChronoDuration::seconds(1)), now)
        .unwrap();
    assert_eq!(journal.take_token("ct_live", now).unwrap(), Some(live));
    assert_eq!(
        journal.take_token("ct_live", now).unwrap(),
        None,
        "single use"
    );
    let later = now + ChronoDuration::seconds(2);
    assert_eq!(
        journal.take_token("ct_old", later).unwrap(),
        None,
        "expired"
    );
    assert_eq!(journal.take_token("ct_never", now).unwrap(), None);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn correlation_ids_are_unique_sortable_and_keep_their_shape() {
    let ids: Vec<String> = (0..10_000).map(|_| correlation_id()).collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    for id in &ids {
        let (time, tail) = id.trim_start_matches('w').split_once('-').unwrap();
        assert_eq!((time.len(), tail.len()), (17, 12), "{id}");
        assert!(
            time.chars()
                .chain(tail.chars())
                .all(|c| c.is_ascii_hexdigit())
        );
    }
    let time = |id: &String| id[1..18].to_owned();
    assert!(
        ids.windows(2).all(|w| time(&w[0]) <= time(&w[1])),
        "sortable by time"
    );
}
