//! Printing answers: JSON (the default, for scripts) or a plain table (for people).

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Table,
}

pub fn print(value: &Value, format: Format) {
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        ),
        Format::Table => print!("{}", table(value)),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Scalars as `key  value` rows; each list of objects as a table with a header row.
pub fn table(value: &Value) -> String {
    let mut out = String::new();
    let Some(map) = value.as_object() else {
        return format!("{}\n", cell(value));
    };
    let scalars: Vec<(&String, &Value)> = map
        .iter()
        .filter(|(_, v)| !v.is_array() && !v.is_object())
        .collect();
    let width = scalars.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in &scalars {
        out += &format!("{k:width$}  {}\n", cell(v));
    }
    for (k, v) in map {
        match v {
            Value::Array(items) => {
                out += &format!("\n{k} ({})\n", items.len());
                out += &rows(items);
            }
            Value::Object(_) => {
                out += &format!("\n{k}\n");
                for line in table(v).lines() {
                    out += &format!("  {line}\n");
                }
            }
            _ => {}
        }
    }
    out
}

fn rows(items: &[Value]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        if let Some(obj) = item.as_object() {
            for k in obj.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    if columns.is_empty() {
        return items.iter().map(|i| format!("  {}\n", cell(i))).collect();
    }
    let grid: Vec<Vec<String>> = items
        .iter()
        .map(|i| columns.iter().map(|c| cell(&i[c.as_str()])).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(n, c)| {
            grid.iter()
                .map(|r| r[n].chars().count())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        format!("  {}\n", padded.join("  ").trim_end())
    };
    let mut out = line(columns.clone());
    for r in grid {
        out += &line(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_become_tables() {
        let v = json!({"biz_id": "b", "failed_cards": [
            {"user_id": "ou_1", "reason": "NO_PERMISSION"},
            {"user_id": "ou_22", "reason": "DUPLICATED"}
        ]});
        assert_eq!(
            table(&v),
            "biz_id  b\n\nfailed_cards (2)\n  reason         user_id\n  NO_PERMISSION  ou_1\n  DUPLICATED     ou_22\n"
        );
    }
}
