//! Secrets never leave the server: every text a tool returns, the journal records or the log
//! prints goes through a [`Redactor`] that knows the configured secrets.

/// Replaces known secret values in text.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// What a secret is replaced by.
pub const REDACTED: &str = "[REDACTED]";

impl Redactor {
    /// A redactor for the secrets in the environment variables `names` that are set.
    pub fn from_env(names: &[&str]) -> Self {
        let mut redactor = Self::default();
        for name in names {
            if let Ok(value) = std::env::var(name) {
                redactor.add(&value);
            }
        }
        redactor
    }

    /// Adds a secret (short values are ignored: they would redact ordinary words).
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.len() >= 8 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_owned());
        }
    }

    /// `text` with every secret replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    /// `value` with every secret replaced in its strings.
    pub fn json(&self, value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::String(text) => serde_json::Value::String(self.text(text)),
            serde_json::Value::Array(items) => items.iter().map(|v| self.json(v)).collect(),
            serde_json::Value::Object(map) => {
                map.iter().map(|(k, v)| (k.clone(), self.json(v))).collect()
            }
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_everywhere() {
        let mut redactor = Redactor::default();
        redactor.add("s3cret-value-123");
        redactor.add("short");
        assert_eq!(
            redactor.text("key s3cret-value-123 leaked"),
            "key [REDACTED] leaked"
        );
        assert_eq!(redactor.text("short stays"), "short stays");
        let json = serde_json::json!({ "a": ["x s3cret-value-123"], "b": { "c": "s3cret-value-123" }, "n": 1 });
        assert_eq!(
            redactor.json(&json).to_string(),
            r#"{"a":["x [REDACTED]"],"b":{"c":"[REDACTED]"},"n":1}"#
        );
        assert_eq!(format!("{redactor:?}"), "Redactor(1 secrets)");
    }
}
