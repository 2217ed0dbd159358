//! Confirmation tokens: a preview issues one, bound to exactly the order it previewed; the
//! order tool redeems it once. Kept in memory on the server (the token is a random handle,
//! nothing can be forged from it); a restart voids every token.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::config::Venue;

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
    /// The order differs from the one previewed.
    #[error(
        "the order differs from the one this token confirmed ({0}); send exactly the order the preview returned, or preview the new order"
    )]
    Mismatch(String),
}

#[derive(Debug, Clone)]
struct Pending {
    venue: Venue,
    order: serde_json::Value,
    expires: Instant,
}

/// The tokens issued and not yet used.
#[derive(Debug)]
pub struct TokenStore {
    ttl: Duration,
    pending: Mutex<HashMap<String, Pending>>,
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
    let mut bytes = [0u8; 16];
    // The OS generator failing is not recoverable in a meaningful way; a zeroed token would
    // be guessable, so fall back to a time-derived value mixed in and keep the server up.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    let mut text = String::with_capacity(35);
    text.push_str("ct_");
    for byte in bytes {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

impl TokenStore {
    /// Tokens that live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// How long a token lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new token for `order` (its canonical JSON) on `venue`.
    pub fn issue(&self, venue: Venue, order: serde_json::Value) -> String {
        let token = random_token();
        let now = Instant::now();
        let mut pending = self.pending();
        pending.retain(|_, p| p.expires > now);
        pending.insert(
            token.clone(),
            Pending {
                venue,
                order,
                expires: now.checked_add(self.ttl).unwrap_or(now),
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
    ) -> Result<(), TokenError> {
        let mut pending = self.pending();
        let result = match pending.get(token) {
            None => Err(TokenError::Unknown),
            Some(p) if p.venue != venue => Err(TokenError::Mismatch("another venue".into())),
            Some(p) if p.expires <= Instant::now() => {
                Err(TokenError::Expired(Instant::now() - p.expires))
            }
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
    ) -> Result<(), TokenError> {
        self.check(token, venue, order)?;
        self.pending().remove(token);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    #[test]
    fn a_token_confirms_one_order_once() {
        let store = TokenStore::new(Duration::from_secs(60));
        let order = json!({ "symbol": "SOL_USDC", "price": "150" });
        let token = store.issue(Venue::Backpack, order.clone());
        assert!(token.starts_with("ct_") && token.len() == 35);
        store.check(&token, Venue::Backpack, &order).unwrap();
        store.redeem(&token, Venue::Backpack, &order).unwrap();
        assert_eq!(
            store.redeem(&token, Venue::Backpack, &order),
            Err(TokenError::Unknown)
        );
        assert_eq!(
            store.redeem("ct_made_up", Venue::Backpack, &order),
            Err(TokenError::Unknown)
        );
    }

    #[test]
    fn an_altered_order_voids_the_token() {
        let store = TokenStore::new(Duration::from_secs(60));
        let token = store.issue(
            Venue::Backpack,
            json!({ "symbol": "SOL_USDC", "price": "150" }),
        );
        let altered = json!({ "symbol": "SOL_USDC", "price": "1500" });
        let error = store.redeem(&token, Venue::Backpack, &altered).unwrap_err();
        assert_eq!(error, TokenError::Mismatch("field `price`".into()));
        let original = json!({ "symbol": "SOL_USDC", "price": "150" });
        assert_eq!(
            store.redeem(&token, Venue::Backpack, &original),
            Err(TokenError::Unknown)
        );
        let other = store.issue(Venue::Ibkr, original.clone());
        assert!(matches!(
            store.redeem(&other, Venue::Backpack, &original),
            Err(TokenError::Mismatch(_))
        ));
    }

    #[test]
    fn an_old_token_is_expired() {
        let store = TokenStore::new(Duration::from_millis(1));
        let order = json!({});
        let token = store.issue(Venue::Ibkr, order.clone());
        std::thread::sleep(Duration::from_millis(5));
        assert!(matches!(
            store.redeem(&token, Venue::Ibkr, &order),
            Err(TokenError::Expired(_))
        ));
    }
}
