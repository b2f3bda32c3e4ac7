//! API keys and usage plans, and the rates and quotas plans and stages set
//! (AWS: `throttle`, `quota`); admission enforces them.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// An API key.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub value: String,
    pub enabled: bool,
    /// Declared by a config file (and removed when the file drops it).
    #[serde(default)]
    pub from_config: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `customerId`: the AWS Marketplace customer the key belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Epoch seconds (0: made before apigw kept it).
    #[serde(default)]
    pub created_date: u64,
    #[serde(default)]
    pub last_updated_date: u64,
    /// When it was made, microseconds since the epoch (0: unknown), so
    /// listings can put the newest first as AWS does.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub created_micros: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A usage plan: which stages it covers, its throttle and quota, its keys.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UsagePlan {
    pub id: String,
    pub name: String,
    pub throttle: Option<Rate>,
    pub quota: Option<Quota>,
    pub stages: Vec<PlanStage>,
    /// Key ids.
    pub keys: Vec<String>,
    /// Declared by a config file (and removed when the file drops it).
    #[serde(default)]
    pub from_config: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A stage a plan covers, with per-method throttles (`/pets/GET`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlanStage {
    pub api_id: String,
    pub stage: String,
    pub methods: HashMap<String, Rate>,
}

/// A steady rate with a burst allowance (AWS: `rateLimit`, `burstLimit`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rate {
    /// Requests per second; 0 blocks everything.
    pub per_second: f64,
    /// Requests admitted at once from a full bucket; 0 blocks everything.
    pub burst: u32,
}

/// A quota period (AWS: `DAY`, `WEEK`, `MONTH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    /// The period AWS names `DAY`, `WEEK` or `MONTH`.
    pub fn from_aws(name: &str) -> Option<Period> {
        match name {
            "DAY" => Some(Period::Day),
            "WEEK" => Some(Period::Week),
            "MONTH" => Some(Period::Month),
            _ => None,
        }
    }
}

/// A quota: `limit` requests per period; `offset` moves the period's start
/// (weeks: 0 starts on Sunday, 1 on Monday...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quota {
    pub limit: u64,
    pub period: Period,
    pub offset: u32,
}

impl Quota {
    /// The window (a number that changes when the period rolls over) that
    /// `now` falls in, UTC.
    pub fn window(&self, now: SystemTime) -> u64 {
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let days = (secs / 86_400) as i64;
        match self.period {
            Period::Day => days as u64,
            // 1970-01-04 was a Sunday.
            Period::Week => (days - 3 - i64::from(self.offset)).div_euclid(7) as u64,
            Period::Month => {
                let date = time::OffsetDateTime::from_unix_timestamp(secs as i64)
                    .map(|t| t.date())
                    .unwrap_or(time::Date::MIN);
                (date.year() as i64 * 12 + i64::from(u8::from(date.month()))) as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn quota_windows() {
        let day = |d: u64| UNIX_EPOCH + Duration::from_secs(d * 86_400 + 3600);
        let week = Quota {
            limit: 1,
            period: Period::Week,
            offset: 0,
        };
        // 1970-01-03 (Saturday) and 1970-01-04 (Sunday) are in different weeks.
        assert_ne!(week.window(day(2)), week.window(day(3)));
        assert_eq!(week.window(day(3)), week.window(day(9)));
        let monday = Quota { offset: 1, ..week };
        assert_ne!(monday.window(day(3)), monday.window(day(4)));
        let month = Quota {
            limit: 1,
            period: Period::Month,
            offset: 0,
        };
        assert_eq!(month.window(day(0)), month.window(day(30)));
        assert_ne!(month.window(day(30)), month.window(day(31)));
    }
}
