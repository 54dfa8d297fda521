//! InvestDesk: investment opportunities for foreign investors, and the interest they draw.
//!
//! Layers: [`handlers`] (HTTP) → [`services`] (rules, permissions, transactions) →
//! [`persistence`] (diesel). [`domain`] types are shared by all; [`error`] alone maps errors to
//! HTTP.

pub mod api;
pub mod config;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod openapi;
pub mod persistence;
pub mod request;
pub mod services;
pub mod startup;
pub mod telemetry;
