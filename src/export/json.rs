//! JSON: the result's envelope ([`Envelope::to_json`]) — `schema_version`, `kind`,
//! `billcast_version`, provenance, the body's fields, warnings and notes. `billcast render`
//! reads it back.

use super::{ExportError, Exporter, Format};
use crate::results::Envelope;

/// The JSON exporter.
pub struct Json;

impl Exporter for Json {
    fn format(&self) -> Format {
        Format::Json
    }

    fn export(&self, result: &Envelope<'_>) -> Result<String, ExportError> {
        Ok(result.to_json()?)
    }
}
