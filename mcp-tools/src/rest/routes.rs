//! The REST API's routes: each one is a tool of the MCP server, with where its arguments
//! come from (the JSON body, the query string, a path segment) and, for a few, which part
//! of the tool's answer it returns. The OpenAPI document is generated from this table and
//! the tools' own schemas, so a route cannot drift from its tool.

use serde_json::{Map, Value};

use crate::error::ToolError;

/// The HTTP method of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads: arguments in the query string.
    Get,
    /// Everything else: arguments in the JSON body.
    Post,
}

impl Method {
    /// The lower-case name OpenAPI uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
        }
    }
}

/// How a path segment becomes an argument of the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// The segment as a string field.
    Text,
    /// The segment as the only element of an integer array field (IBKR order ids).
    IdList,
}

/// A path parameter: its name in the path and the tool's field it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathParam {
    /// The name in the path (`{id}`).
    pub name: &'static str,
    /// The tool's argument.
    pub field: &'static str,
    /// How the text becomes the argument.
    pub shape: Segment,
}

/// One route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path, axum style (`/ibkr/orders/{id}/status`).
    pub path: &'static str,
    /// The tool it calls.
    pub tool: &'static str,
    /// The one-line summary in the OpenAPI document.
    pub summary: &'static str,
    /// The path parameter, if any.
    pub param: Option<PathParam>,
    /// Only this field of the tool's answer is returned.
    pub project: Option<&'static str>,
    /// Whether the route writes (an order or a cancel).
    pub writes: bool,
}

const fn route(
    method: Method,
    path: &'static str,
    tool: &'static str,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        tool,
        summary,
        param: None,
        project: None,
        writes: false,
    }
}

const fn get(path: &'static str, tool: &'static str, summary: &'static str) -> Route {
    route(Method::Get, path, tool, summary)
}

const fn post(path: &'static str, tool: &'static str, summary: &'static str) -> Route {
    route(Method::Post, path, tool, summary)
}

impl Route {
    const fn with(mut self, name: &'static str, field: &'static str, shape: Segment) -> Self {
        self.param = Some(PathParam { name, field, shape });
        self
    }

    const fn only(mut self, field: &'static str) -> Self {
        self.project = Some(field);
        self
    }

    const fn writing(mut self) -> Self {
        self.writes = true;
        self
    }

    /// The OpenAPI operation id: the method and the path's words (`get_ibkr_account_pnl`).
    pub fn operation_id(&self) -> String {
        let words: Vec<String> = self
            .path
            .split('/')
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.trim_start_matches('{')
                    .trim_end_matches('}')
                    .replace('-', "_")
            })
            .collect();
        format!("{}_{}", self.method.as_str(), words.join("_"))
    }

    /// The tool's arguments from the path parameter, the query pairs (`GET`) or the JSON
    /// body (`POST`). A query value is typed by the tool's input schema (`limit=5` is a
    /// number), so a read takes what its tool takes.
    ///
    /// # Errors
    /// `invalid_input`: a body that is not a JSON object, a repeated query parameter, a
    /// value the schema's type cannot hold, a path parameter also given in the body.
    pub fn arguments(
        &self,
        segment: Option<&str>,
        query: &[(String, String)],
        body: Option<Value>,
        input_schema: &Map<String, Value>,
    ) -> Result<Value, ToolError> {
        let mut arguments = match (self.method, body) {
            (Method::Post, Some(Value::Object(map))) => map,
            (Method::Post, None) => Map::new(),
            (Method::Post, Some(_)) => {
                return Err(ToolError::invalid("the request body must be a JSON object"));
            }
            (Method::Get, _) => Map::new(),
        };
        if !query.is_empty() {
            if self.method == Method::Post {
                return Err(ToolError::invalid(
                    "this route takes its arguments in the JSON body, not the query string",
                ));
            }
            for (name, text) in query {
                let value = typed(name, text, property(input_schema, name))?;
                if arguments.insert(name.clone(), value).is_some() {
                    return Err(ToolError::invalid(format!(
                        "the query parameter `{name}` is given twice"
                    )));
                }
            }
        }
        if let (Some(param), Some(text)) = (self.param, segment) {
            let value = match param.shape {
                Segment::Text => Value::String(text.to_owned()),
                Segment::IdList => {
                    let id: i64 = text.parse().ok().filter(|id| *id > 0).ok_or_else(|| {
                        ToolError::invalid(format!(
                            "`{}` in the path must be an order id (a positive whole number), not {text:?}",
                            param.name
                        ))
                    })?;
                    Value::Array(vec![Value::from(id)])
                }
            };
            if arguments.insert(param.field.to_owned(), value).is_some() {
                return Err(ToolError::invalid(format!(
                    "`{}` comes from the path; leave it out of the request",
                    param.field
                )));
            }
        }
        Ok(Value::Object(arguments))
    }
}

/// The schema of `name` among the input schema's properties.
fn property<'a>(schema: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .and_then(|properties| properties.get(name))
}

/// The JSON types a (simplified) property schema allows.
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => schema
            .get("anyOf")
            .and_then(Value::as_array)
            .map(|options| options.iter().flat_map(types).collect())
            .unwrap_or_default(),
    }
}

/// A query value as the JSON its property takes. An unknown parameter stays a string (the
/// tool then refuses it by name).
fn typed(name: &str, text: &str, schema: Option<&Value>) -> Result<Value, ToolError> {
    let allowed = schema.map(types).unwrap_or_default();
    if allowed.contains(&"string") || allowed.is_empty() {
        return Ok(Value::String(text.to_owned()));
    }
    let wrong = || ToolError::invalid(format!("the query parameter `{name}` cannot be {text:?}"));
    if allowed.contains(&"integer") {
        return text.parse::<i64>().map(Value::from).map_err(|_| wrong());
    }
    if allowed.contains(&"boolean") {
        return match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(wrong()),
        };
    }
    Err(ToolError::invalid(format!(
        "the query parameter `{name}` cannot be given in a query string"
    )))
}

/// Every route of the API.
pub const ROUTES: &[Route] = &[
    get(
        "/health",
        "status",
        "Server status: each venue's mode (simulated, paper, live) and health, tiers, caps left, journal, kill switch.",
    ),
    // IBKR: the seed's endpoints, under /ibkr.
    post(
        "/ibkr/market-data/quote",
        "ibkr_get_quote",
        "Quote snapshots for 1 to 20 contracts.",
    ),
    post(
        "/ibkr/market-data/historical",
        "ibkr_get_historical_data",
        "Historical bars of a contract.",
    ),
    get(
        "/ibkr/account/summary",
        "ibkr_get_account_status",
        "Account summary: net liquidation, cash, margin, buying power.",
    )
    .only("summary"),
    get(
        "/ibkr/account/positions",
        "ibkr_get_account_status",
        "Positions with average cost, market value and PnL.",
    )
    .only("positions"),
    get("/ibkr/account/pnl", "ibkr_get_pnl", "Daily, unrealized and realized PnL."),
    get(
        "/ibkr/orders",
        "ibkr_get_order_status",
        "Every working order of this client, with fills and commissions.",
    ),
    get(
        "/ibkr/orders/{id}/status",
        "ibkr_get_order_status",
        "One order's status, fills and commissions.",
    )
    .with("id", "orderIds", Segment::IdList),
    post(
        "/ibkr/orders/preview",
        "ibkr_preview_order",
        "Check an order (or a bracket) without sending it: IBKR's what-if, the exposure, the caps, and a single-use confirmationToken.",
    ),
    post(
        "/ibkr/orders",
        "ibkr_place_order",
        "Place exactly the previewed order with its confirmationToken.",
    )
    .writing(),
    post(
        "/ibkr/orders/{id}/cancel",
        "ibkr_cancel_order",
        "Cancel an order (works while the kill switch is engaged).",
    )
    .with("id", "orderIds", Segment::IdList)
    .writing(),
    // Backpack.
    get(
        "/backpack/markets",
        "backpack_get_markets",
        "Markets with their tick and step sizes.",
    ),
    get(
        "/backpack/markets/{symbol}/ticker",
        "backpack_get_ticker",
        "A market's 24-hour ticker.",
    )
    .with("symbol", "symbol", Segment::Text),
    get(
        "/backpack/markets/{symbol}/depth",
        "backpack_get_depth",
        "A market's order book, best levels first.",
    )
    .with("symbol", "symbol", Segment::Text),
    get(
        "/backpack/account/balances",
        "backpack_get_balances",
        "Balances per asset: available, locked, staked, lent.",
    ),
    get(
        "/backpack/account/positions",
        "backpack_list_positions",
        "Open perpetual positions with entry, mark and PnL.",
    ),
    get(
        "/backpack/orders",
        "backpack_list_orders",
        "Open orders, optionally of one symbol.",
    ),
    get(
        "/backpack/orders/history",
        "backpack_order_history",
        "Order history, newest first.",
    ),
    get(
        "/backpack/fills",
        "backpack_fill_history",
        "Fill history, newest first.",
    ),
    get(
        "/backpack/orders/{id}",
        "backpack_get_order",
        "One order by id (query: symbol), open or from the history.",
    )
    .with("id", "orderId", Segment::Text),
    post(
        "/backpack/orders/preview",
        "backpack_preview_order",
        "Check an order without sending it: rounding, exposure, fee, caps, and a single-use confirmationToken.",
    ),
    post(
        "/backpack/orders",
        "backpack_create_order",
        "Send exactly the previewed order with its confirmationToken.",
    )
    .writing(),
    post(
        "/backpack/orders/{id}/cancel",
        "backpack_cancel_order",
        "Cancel an open order (body: symbol); works while the kill switch is engaged.",
    )
    .with("id", "orderId", Segment::Text)
    .writing(),
    post(
        "/backpack/orders/cancel-all",
        "backpack_cancel_all_orders",
        "Cancel every open order of a symbol (on a real exchange: first call returns a token to confirm with).",
    )
    .writing(),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn schema() -> Map<String, Value> {
        json!({ "type": "object", "properties": {
            "limit": { "type": "integer" },
            "showZeroBalances": { "type": "boolean" },
            "symbol": { "type": "string" },
            "orderIds": { "type": "array" }
        }})
        .as_object()
        .cloned()
        .unwrap()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn query_values_take_the_type_of_their_property() {
        let route = get("/x", "t", "");
        let args = route
            .arguments(
                None,
                &pairs(&[
                    ("limit", "5"),
                    ("showZeroBalances", "true"),
                    ("symbol", "123"),
                ]),
                None,
                &schema(),
            )
            .unwrap();
        assert_eq!(
            args,
            json!({ "limit": 5, "showZeroBalances": true, "symbol": "123" })
        );
        for bad in [
            ("limit", "five"),
            ("showZeroBalances", "yes"),
            ("orderIds", "1"),
        ] {
            let error = route
                .arguments(None, &pairs(&[bad]), None, &schema())
                .unwrap_err();
            assert_eq!(error.code, crate::error::ErrorCode::InvalidInput);
        }
        let twice = route
            .arguments(
                None,
                &pairs(&[("symbol", "A"), ("symbol", "B")]),
                None,
                &schema(),
            )
            .unwrap_err();
        assert!(twice.message.contains("twice"), "{twice}");
    }

    #[test]
    fn path_parameters_fill_their_field_and_may_not_be_given_twice() {
        let cancel = post("/o/{id}/cancel", "t", "").with("id", "orderIds", Segment::IdList);
        assert_eq!(
            cancel.arguments(Some("42"), &[], None, &schema()).unwrap(),
            json!({ "orderIds": [42] })
        );
        assert!(cancel.arguments(Some("4x"), &[], None, &schema()).is_err());
        assert!(
            cancel
                .arguments(Some("42"), &[], Some(json!({ "orderIds": [1] })), &schema())
                .is_err()
        );
        assert!(
            cancel
                .arguments(None, &[], Some(json!([1])), &schema())
                .is_err()
        );
        assert!(
            cancel
                .arguments(None, &pairs(&[("a", "b")]), None, &schema())
                .is_err()
        );
    }

    #[test]
    fn operation_ids_are_unique() {
        let mut ids: Vec<String> = ROUTES.iter().map(Route::operation_id).collect();
        assert!(ids.contains(&"get_ibkr_orders_id_status".to_owned()));
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ROUTES.len());
    }
}
