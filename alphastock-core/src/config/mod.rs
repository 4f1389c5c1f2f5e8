//! Configuration: serde structs for the YAML config, defaults and validation.
