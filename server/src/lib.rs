#![doc = include_str!("../README.md")]

pub mod audit;
pub mod auth;
pub mod bolt;
pub mod cli;
pub mod commands;
pub mod graphql;
pub mod http;
pub mod recommend;
pub mod security;
pub mod settings;
