//! A session manager that holds at most a set number of MCP sessions: a client that opens
//! sessions in a loop gets an error once the limit is reached instead of exhausting memory.
//! A session leaves the count when it is closed (a DELETE, or its worker ending after the
//! keep-alive timeout).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use futures::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::{
    EventStore, RestoreOutcome, ServerSseMessage, SessionId, SessionManager,
};

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BoundedError<E: std::error::Error> {
    /// The limit is reached.
    #[error(
        "this server holds {0} MCP sessions, its limit (TRADING_MCP_HTTP_MAX_SESSIONS); close one or try later"
    )]
    Full(usize),
    /// The inner manager failed.
    #[error(transparent)]
    Inner(E),
}

/// `M` with a limit on live sessions.
#[derive(Debug)]
pub struct BoundedSessions<M> {
    inner: M,
    max: usize,
    live: Mutex<HashSet<SessionId>>,
}

impl<M> BoundedSessions<M> {
    /// At most `max` sessions of `inner`.
    pub fn new(inner: M, max: usize) -> Self {
        Self {
            inner,
            max,
            live: Mutex::new(HashSet::new()),
        }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashSet<SessionId>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<M: SessionManager> SessionManager for BoundedSessions<M> {
    type Error = BoundedError<M::Error>;
    type Transport = M::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        {
            let live = self.live();
            if live.len() >= self.max {
                tracing::warn!(max = self.max, "MCP session refused: the limit is reached");
                return Err(BoundedError::Full(live.len()));
            }
        }
        let (id, transport) = self
            .inner
            .create_session()
            .await
            .map_err(BoundedError::Inner)?;
        self.live().insert(id.clone());
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.inner
            .initialize_session(id, message)
            .await
            .map_err(BoundedError::Inner)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.inner
            .has_session(id)
            .await
            .map_err(BoundedError::Inner)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.live().remove(id);
        self.inner
            .close_session(id)
            .await
            .map_err(BoundedError::Inner)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.inner
            .create_stream(id, message)
            .await
            .map_err(BoundedError::Inner)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.inner
            .accept_message(id, message)
            .await
            .map_err(BoundedError::Inner)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.inner
            .create_standalone_stream(id)
            .await
            .map_err(BoundedError::Inner)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.inner
            .resume(id, last_event_id)
            .await
            .map_err(BoundedError::Inner)
    }

    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        self.inner
            .restore_session(id)
            .await
            .map_err(BoundedError::Inner)
    }

    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        self.inner.event_store()
    }
}
