//! Money on the wire: held exactly (`Price`, `Amount`) and written as a JSON *number*, as both
//! brokers send it: whole values bare (`300`), others as the shortest decimal that reads back to
//! the same value (`1022.5`, `0.0025`).

use serde::Serializer;
use tt_core::{Amount, Price};

/// Writes an exact decimal as a JSON number: bare when whole, else the nearest `f64`, which
/// prints as the shortest text reading back to it, i.e. the decimal itself.
fn decimal<S: Serializer>(
    text: String,
    whole: Option<i64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match whole {
        Some(units) => serializer.serialize_i64(units),
        None => serializer.serialize_f64(text.parse::<f64>().unwrap_or(0.0)),
    }
}

const SCALE: i128 = 100_000_000;

fn whole_units(mantissa: i128) -> Option<i64> {
    if mantissa % SCALE == 0 {
        i64::try_from(mantissa / SCALE).ok()
    } else {
        None
    }
}

/// `serialize_with` for a [`Price`] written as a JSON number.
pub(crate) fn price<S: Serializer>(value: &Price, serializer: S) -> Result<S::Ok, S::Error> {
    decimal(
        value.to_string(),
        whole_units(i128::from(value.mantissa())),
        serializer,
    )
}

/// `serialize_with` for an [`Amount`] written as a JSON number.
pub(crate) fn amount<S: Serializer>(value: &Amount, serializer: S) -> Result<S::Ok, S::Error> {
    decimal(value.to_string(), whole_units(value.mantissa()), serializer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Money {
        #[serde(serialize_with = "price")]
        p: Price,
        #[serde(serialize_with = "amount")]
        a: Amount,
    }

    fn written(p: &str, a: &str) -> String {
        serde_json::to_string(&Money {
            p: p.parse().unwrap(),
            a: a.parse().unwrap(),
        })
        .unwrap()
    }

    #[test]
    fn money_is_written_as_kite_writes_numbers() {
        assert_eq!(written("300", "0"), r#"{"p":300,"a":0}"#);
        assert_eq!(written("1022.50", "-629.3"), r#"{"p":1022.5,"a":-629.3}"#);
        assert_eq!(
            written("0.0025", "145706.55"),
            r#"{"p":0.0025,"a":145706.55}"#
        );
        assert_eq!(
            written("83.2575", "99725.05"),
            r#"{"p":83.2575,"a":99725.05}"#
        );
    }
}
