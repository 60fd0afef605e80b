//! What a local-first replica and its PostgreSQL hub exchange: the change log's rows, the
//! outbox of writes made while the hub was away, a declared schema of app columns, and a
//! replica's registration on the hub. Both backends read and write these types; the replica
//! (`crate::replica`) moves them between the two.

pub mod rows;
pub mod schema;

/// This replica's record on the hub, as `device.register()` returned it.
#[derive(Debug, Clone)]
pub struct Registration {
    pub device_id: String,
    pub pubsub_token: String,
    pub expires_at: i64,
    pub endpoints: Vec<String>,
}
