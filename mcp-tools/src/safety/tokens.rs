//! Confirmation tokens: a preview issues one, bound to exactly the order it previewed; the
//! order tool redeems it once, in the same session that previewed it (over HTTP another
//! session cannot redeem it). Kept in memory on the server (the token is a random handle,
//! nothing can be forged from it); a restart voids every token.
//!
//! When the person is asked in band (the call answers `input_required` and the client calls
//! again with the answer), the round is bound to a random nonce the server issues and
//! records with the token and a deadline; only that nonce, once, before the deadline,
//! carries the answer.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use trading_core::clock::{Clock, SharedClock};

use crate::config::Venue;
use crate::error::{ErrorCode, ToolError};

/// Why a token was refused. Every refusal also voids the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Never issued, already used, or voided by a restart.
    #[error(
        "the confirmation token is unknown or was already used; call the preview tool again and confirm the new preview"
    )]
    Unknown,
    /// Issued, but too long ago.
    #[error("the confirmation token expired {0:?} ago; call the preview tool again")]
    Expired(Duration),
    /// Previewed in another session.
    #[error(
        "the confirmation token was issued to another session; preview the order in this session"
    )]
    OtherSession,
    /// The in-band answer does not carry the question this server asked.
    #[error(
        "the confirmation answer does not belong to a question this server asked for this token"
    )]
    NotAsked,
    /// The person did not answer in time.
    #[error("the person did not answer in time; preview the order again")]
    Unanswered,
    /// The order differs from the one previewed.
    #[error(
        "the order differs from the one this token confirmed ({0}); send exactly the order the preview returned, or preview the new order"
    )]
    Mismatch(String),
}

impl TokenError {
    /// The stable code of this refusal.
    pub fn code(&self) -> ErrorCode {
        match self {
            TokenError::Unknown => ErrorCode::TokenUnknown,
            TokenError::Expired(_) => ErrorCode::TokenExpired,
            TokenError::OtherSession | TokenError::NotAsked | TokenError::Mismatch(_) => {
                ErrorCode::TokenMismatch
            }
            TokenError::Unanswered => ErrorCode::NotConfirmed,
        }
    }

    /// The refusal, saying nothing was sent.
    pub fn refusal(&self) -> ToolError {
        ToolError::new(self.code(), format!("{self}; nothing was sent"))
    }
}

#[derive(Debug, Clone)]
struct Pending {
    venue: Venue,
    order: serde_json::Value,
    session: String,
    expires: Instant,
    question: Option<(String, Instant)>,
}

/// The tokens issued and not yet used.
#[derive(Debug)]
pub struct TokenStore {
    ttl: Duration,
    pending: Mutex<HashMap<String, Pending>>,
    clock: SharedClock,
}

/// Which field differs first between two orders (for the refusal message).
fn first_difference(previewed: &serde_json::Value, sent: &serde_json::Value) -> String {
    let (Some(previewed), Some(sent)) = (previewed.as_object(), sent.as_object()) else {
        return "the order".into();
    };
    let mut keys: Vec<&String> = previewed.keys().chain(sent.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .find(|key| previewed.get(*key) != sent.get(*key))
        .map_or_else(|| "the order".into(), |key| format!("field `{key}`"))
}

fn random_token() -> String {
    random_handle("ct_")
}

fn random_handle(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    // The OS generator failing is not recoverable in a meaningful way; a zeroed token would
    // be guessable, so fall back to a time-derived value mixed in and keep the server up.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    let mut text = String::with_capacity(prefix.len() + 32);
    text.push_str(prefix);
    for byte in bytes {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

impl TokenStore {
    /// Tokens that live `ttl` by `clock`.
    pub fn new(ttl: Duration, clock: SharedClock) -> Self {
        Self {
            ttl,
            pending: Mutex::new(HashMap::new()),
            clock,
        }
    }

    /// How long a token lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new token for `order` (its canonical JSON) on `venue`, redeemable in `session`.
    pub fn issue(&self, venue: Venue, order: serde_json::Value, session: &str) -> String {
        let token = random_token();
        let now = self.clock.now();
        let mut pending = self.pending();
        pending.retain(|_, p| p.expires > now);
        pending.insert(
            token.clone(),
            Pending {
                venue,
                order,
                session: session.to_owned(),
                expires: now.checked_add(self.ttl).unwrap_or(now),
                question: None,
            },
        );
        token
    }

    /// Checks `token` against `order` without using it (the first round of a confirmation
    /// that asks the person).
    ///
    /// # Errors
    /// [`TokenError`]; a refused token is voided.
    pub fn check(
        &self,
        token: &str,
        venue: Venue,
        order: &serde_json::Value,
        session: &str,
    ) -> Result<(), TokenError> {
        let now = self.clock.now();
        let mut pending = self.pending();
        let result = match pending.get(token) {
            None => Err(TokenError::Unknown),
            Some(p) if p.session != session => Err(TokenError::OtherSession),
            Some(p) if p.venue != venue => Err(TokenError::Mismatch("another venue".into())),
            Some(p) if p.expires <= now => Err(TokenError::Expired(now - p.expires)),
            Some(p) if &p.order != order => {
                Err(TokenError::Mismatch(first_difference(&p.order, order)))
            }
            Some(_) => Ok(()),
        };
        if result.is_err() {
            pending.remove(token);
        }
        result
    }

    /// Uses `token` for `order`: valid once, before it expires, for exactly that order.
    ///
    /// # Errors
    /// [`TokenError`]; the token is gone either way.
    pub fn redeem(
        &self,
        token: &str,
        venue: Venue,
        order: &serde_json::Value,
        session: &str,
    ) -> Result<(), TokenError> {
        self.check(token, venue, order, session)?;
        self.pending().remove(token);
        Ok(())
    }

    /// What `token` confirms and how long it has left, for handing it to another process of
    /// the same user; `None` when it is unknown or expired. The token stays here too.
    pub fn describe(&self, token: &str) -> Option<(Venue, serde_json::Value, Duration)> {
        let now = self.clock.now();
        self.pending()
            .get(token)
            .filter(|p| p.expires > now)
            .map(|p| (p.venue, p.order.clone(), p.expires - now))
    }

    /// Accepts a token another process issued (and handed over through the journal) for
    /// `session`, living `left` more.
    pub fn adopt(
        &self,
        token: &str,
        venue: Venue,
        order: serde_json::Value,
        session: &str,
        left: Duration,
    ) {
        let now = self.clock.now();
        self.pending().insert(
            token.to_owned(),
            Pending {
                venue,
                order,
                session: session.to_owned(),
                expires: now.checked_add(left.min(self.ttl)).unwrap_or(now),
                question: None,
            },
        );
    }

    /// Voids `token`, whatever it was for.
    pub fn void(&self, token: &str) {
        self.pending().remove(token);
    }

    /// Records that the person is being asked about `token` and returns the nonce the
    /// answer must carry; the answer must come within `wait`.
    pub fn ask(&self, token: &str, wait: Duration) -> Option<String> {
        let nonce = random_handle("cq_");
        let now = self.clock.now();
        let mut pending = self.pending();
        let entry = pending.get_mut(token)?;
        entry.question = Some((nonce.clone(), now.checked_add(wait).unwrap_or(now)));
        Some(nonce)
    }

    /// Checks an in-band answer's `nonce` for `token` (single use: the question is spent),
    /// then the token itself.
    ///
    /// # Errors
    /// [`TokenError`]; the token is voided.
    pub fn answered(
        &self,
        token: &str,
        nonce: &str,
        venue: Venue,
        order: &serde_json::Value,
        session: &str,
    ) -> Result<(), TokenError> {
        let asked = self
            .pending()
            .get_mut(token)
            .and_then(|entry| entry.question.take());
        let result = match asked {
            Some((expected, _)) if expected != nonce => Err(TokenError::NotAsked),
            Some((_, deadline)) if deadline <= self.clock.now() => Err(TokenError::Unanswered),
            Some(_) => self.check(token, venue, order, session),
            None => Err(TokenError::NotAsked),
        };
        if result.is_err() {
            self.void(token);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use trading_core::clock::ManualClock;

    use serde_json::json;

    use super::*;

    #[test]
    fn a_token_confirms_one_order_once() {
        let store = TokenStore::new(Duration::from_secs(60), SharedClock::system());
        let order = json!({ "symbol": "SOL_USDC", "price": "150" });
        let token = store.issue(Venue::Backpack, order.clone(), "s1");
        assert!(token.starts_with("ct_") && token.len() == 35);
        store.check(&token, Venue::Backpack, &order, "s1").unwrap();
        store.redeem(&token, Venue::Backpack, &order, "s1").unwrap();
        assert_eq!(
            store.redeem(&token, Venue::Backpack, &order, "s1"),
            Err(TokenError::Unknown)
        );
        assert_eq!(
            store.redeem("ct_made_up", Venue::Backpack, &order, "s1"),
            Err(TokenError::Unknown)
        );
    }

    #[test]
    fn an_altered_order_voids_the_token() {
        let store = TokenStore::new(Duration::from_secs(60), SharedClock::system());
        let token = store.issue(
            Venue::Backpack,
            json!({ "symbol": "SOL_USDC", "price": "150" }),
            "s1",
        );
        let altered = json!({ "symbol": "SOL_USDC", "price": "1500" });
        let error = store
            .redeem(&token, Venue::Backpack, &altered, "s1")
            .unwrap_err();
        assert_eq!(error, TokenError::Mismatch("field `price`".into()));
        let original = json!({ "symbol": "SOL_USDC", "price": "150" });
        assert_eq!(
            store.redeem(&token, Venue::Backpack, &original, "s1"),
            Err(TokenError::Unknown)
        );
        let other = store.issue(Venue::Ibkr, original.clone(), "s1");
        assert!(matches!(
            store.redeem(&other, Venue::Backpack, &original, "s1"),
            Err(TokenError::Mismatch(_))
        ));
    }

    #[test]
    fn an_old_token_is_expired() {
        let clock = Arc::new(ManualClock::new(0));
        let store = TokenStore::new(
            Duration::from_millis(1),
            SharedClock::from(Arc::clone(&clock)),
        );
        let order = json!({});
        let token = store.issue(Venue::Ibkr, order.clone(), "s1");
        clock.advance(5);
        assert!(matches!(
            store.redeem(&token, Venue::Ibkr, &order, "s1"),
            Err(TokenError::Expired(_))
        ));
    }

    #[test]
    fn a_token_belongs_to_its_session_and_its_question() {
        let store = TokenStore::new(Duration::from_secs(60), SharedClock::system());
        let order = json!({ "symbol": "AAPL" });
        let token = store.issue(Venue::Ibkr, order.clone(), "s1");
        assert_eq!(
            store.redeem(&token, Venue::Ibkr, &order, "s2"),
            Err(TokenError::OtherSession)
        );
        let token = store.issue(Venue::Ibkr, order.clone(), "s1");
        assert_eq!(
            store.answered(&token, "cq_forged", Venue::Ibkr, &order, "s1"),
            Err(TokenError::NotAsked)
        );
        let token = store.issue(Venue::Ibkr, order.clone(), "s1");
        let nonce = store.ask(&token, Duration::from_secs(60)).unwrap();
        store
            .answered(&token, &nonce, Venue::Ibkr, &order, "s1")
            .unwrap();
        assert_eq!(
            store.answered(&token, &nonce, Venue::Ibkr, &order, "s1"),
            Err(TokenError::NotAsked),
            "a question is answered once"
        );
    }
}
