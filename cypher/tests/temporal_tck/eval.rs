//! A tiny evaluator for the queries of the TCK's temporal features:
//! `CREATE`, `MATCH` of single labelled nodes, `WITH`, `UNWIND` and
//! `RETURN` over expressions made of literals, maps, lists, variables,
//! property access, function calls, arithmetic and comparisons. Temporal
//! behaviour comes from `cypher::temporal`; the rest is just enough to
//! drive it.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use cypher::temporal;
use graph_model::Value;

/// A token of the query text.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    Int(i64),
    Float(f64),
    Str(String),
    Punct(&'static str),
}

/// Splits query text into tokens.
pub fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    const PUNCTS: [&str; 17] = [
        "<>", "<=", ">=", "(", ")", "{", "}", "[", "]", ",", ":", ".", "+", "-", "*", "/", "=",
    ];
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let is_float = i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit();
            if is_float {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                toks.push(Tok::Float(s.parse().map_err(|e| format!("{e}"))?));
            } else {
                let s: String = chars[start..i].iter().collect();
                toks.push(Tok::Int(s.parse().map_err(|e| format!("{e}"))?));
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            toks.push(Tok::Ident(chars[start..i].iter().collect()));
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                s.push(chars[i]);
                i += 1;
            }
            i += 1;
            toks.push(Tok::Str(s));
        } else if c == '<' || c == '>' {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if let Some(p) = PUNCTS.iter().find(|p| p.len() == 2 && **p == two) {
                toks.push(Tok::Punct(p));
                i += 2;
            } else {
                toks.push(Tok::Punct(if c == '<' { "<" } else { ">" }));
                i += 1;
            }
        } else if let Some(p) = PUNCTS.iter().find(|p| p.len() == 1 && p.starts_with(c)) {
            toks.push(Tok::Punct(p));
            i += 1;
        } else {
            return Err(format!("unexpected character {c:?}"));
        }
    }
    Ok(toks)
}

/// An expression.
#[derive(Clone, Debug)]
pub enum Expr {
    Lit(Value),
    Var(String),
    Map(Vec<(String, Expr)>),
    List(Vec<Expr>),
    Prop(Box<Expr>, String),
    Call(String, Vec<Expr>),
    Neg(Box<Expr>),
    Bin(&'static str, Box<Expr>, Box<Expr>),
}

/// A cursor over tokens.
pub struct Parser {
    pub toks: Vec<Tok>,
    pub pos: usize,
}

impl Parser {
    pub fn new(toks: Vec<Tok>) -> Parser {
        Parser { toks, pos: 0 }
    }

    pub fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub fn eat_punct(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Punct(q)) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect_punct(&mut self, p: &str) -> Result<(), String> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(format!("expected {p} at {:?}", self.peek()))
        }
    }

    pub fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    pub fn eat_keyword(&mut self, word: &str) -> bool {
        if self.is_keyword(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn ident(&mut self) -> Result<String, String> {
        match self.peek().cloned() {
            Some(Tok::Ident(w)) => {
                self.pos += 1;
                Ok(w)
            }
            other => Err(format!("expected a name, found {other:?}")),
        }
    }

    pub fn expr(&mut self) -> Result<Expr, String> {
        let left = self.additive()?;
        for op in ["=", "<>", "<=", ">=", "<", ">"] {
            if self.eat_punct(op) {
                let right = self.additive()?;
                let op = ["=", "<>", "<=", ">=", "<", ">"]
                    .into_iter()
                    .find(|o| *o == op)
                    .unwrap_or("=");
                return Ok(Expr::Bin(op, Box::new(left), Box::new(right)));
            }
        }
        Ok(left)
    }

    fn additive(&mut self) -> Result<Expr, String> {
        let mut left = self.multiplicative()?;
        loop {
            let op = if self.eat_punct("+") {
                "+"
            } else if self.eat_punct("-") {
                "-"
            } else {
                return Ok(left);
            };
            let right = self.multiplicative()?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat_punct("*") {
                "*"
            } else if self.eat_punct("/") {
                "/"
            } else {
                return Ok(left);
            };
            let right = self.unary()?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat_punct("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        let mut e = self.atom()?;
        while self.eat_punct(".") {
            e = Expr::Prop(Box::new(e), self.ident()?);
        }
        Ok(e)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        let tok = self.peek().cloned().ok_or("unexpected end")?;
        self.pos += 1;
        Ok(match tok {
            Tok::Int(i) => Expr::Lit(Value::Integer(i)),
            Tok::Float(x) => Expr::Lit(Value::Float(x)),
            Tok::Str(s) => Expr::Lit(Value::from(s)),
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect_punct(")")?;
                e
            }
            Tok::Punct("{") => {
                let mut entries = Vec::new();
                if !self.eat_punct("}") {
                    loop {
                        let key = self.ident()?;
                        self.expect_punct(":")?;
                        entries.push((key, self.expr()?));
                        if self.eat_punct("}") {
                            break;
                        }
                        self.expect_punct(",")?;
                    }
                }
                Expr::Map(entries)
            }
            Tok::Punct("[") => {
                let mut items = Vec::new();
                if !self.eat_punct("]") {
                    loop {
                        items.push(self.expr()?);
                        if self.eat_punct("]") {
                            break;
                        }
                        self.expect_punct(",")?;
                    }
                }
                Expr::List(items)
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("null") => Expr::Lit(Value::Null),
            Tok::Ident(w) if w.eq_ignore_ascii_case("true") => Expr::Lit(Value::Boolean(true)),
            Tok::Ident(w) if w.eq_ignore_ascii_case("false") => Expr::Lit(Value::Boolean(false)),
            Tok::Ident(w) => {
                // A dotted function name, or a variable with properties.
                let mut name = w;
                let mut dots = 0;
                while matches!(self.toks.get(self.pos), Some(Tok::Punct(".")))
                    && matches!(self.toks.get(self.pos + 1), Some(Tok::Ident(_)))
                {
                    dots += 1;
                    if let Some(Tok::Ident(part)) = self.toks.get(self.pos + 1).cloned() {
                        name = format!("{name}.{part}");
                    }
                    self.pos += 2;
                }
                if self.eat_punct("(") {
                    let mut args = Vec::new();
                    if !self.eat_punct(")") {
                        loop {
                            args.push(self.expr()?);
                            if self.eat_punct(")") {
                                break;
                            }
                            self.expect_punct(",")?;
                        }
                    }
                    Expr::Call(name, args)
                } else {
                    let mut parts = name.split('.');
                    let mut e = Expr::Var(parts.next().unwrap_or_default().to_owned());
                    for p in parts.take(dots) {
                        e = Expr::Prop(Box::new(e), p.to_owned());
                    }
                    e
                }
            }
            other @ Tok::Punct(_) => return Err(format!("unexpected {other:?}")),
        })
    }
}

/// Variables in scope.
pub type Row = BTreeMap<String, Value>;

/// Evaluates an expression in a row.
pub fn eval(e: &Expr, row: &Row) -> Result<Value, String> {
    Ok(match e {
        Expr::Lit(v) => v.clone(),
        Expr::Var(name) => row
            .get(name)
            .cloned()
            .ok_or_else(|| format!("unknown variable {name}"))?,
        Expr::Map(entries) => {
            let mut map = BTreeMap::new();
            for (k, v) in entries {
                map.insert(Arc::from(k.as_str()), eval(v, row)?);
            }
            Value::Map(Arc::new(map))
        }
        Expr::List(items) => Value::list(
            items
                .iter()
                .map(|i| eval(i, row))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Expr::Prop(base, key) => {
            let base = eval(base, row)?;
            match &base {
                Value::Null => Value::Null,
                Value::Map(m) => m.get(key.as_str()).cloned().unwrap_or(Value::Null),
                other => match temporal::component(other, key) {
                    Some(r) => r.map_err(|e| format!("error: {e}"))?,
                    None => return Err(format!("no property {key} on {other}")),
                },
            }
        }
        Expr::Call(name, args) => {
            let args = args
                .iter()
                .map(|a| eval(a, row))
                .collect::<Result<Vec<_>, _>>()?;
            let lower = name.to_ascii_lowercase();
            if lower == "tostring" {
                return Ok(match args.first() {
                    Some(Value::Null) | None => Value::Null,
                    Some(Value::String(s)) => Value::String(s.clone()),
                    Some(v) => Value::from(v.to_string()),
                });
            }
            match temporal::call(&lower, &args) {
                Some(r) => r.map_err(|e| format!("error: {e}"))?,
                None => return Err(format!("unknown function {name}")),
            }
        }
        Expr::Neg(inner) => match eval(inner, row)? {
            Value::Integer(i) => Value::Integer(-i),
            Value::Float(x) => Value::Float(-x),
            other => return Err(format!("cannot negate {other}")),
        },
        Expr::Bin(op, l, r) => binary(op, &eval(l, row)?, &eval(r, row)?)?,
    })
}

fn binary(op: &str, l: &Value, r: &Value) -> Result<Value, String> {
    let arith = match op {
        "+" => temporal::add(l, r),
        "-" => temporal::subtract(l, r),
        "*" => temporal::multiply(l, r),
        "/" => temporal::divide(l, r),
        _ => {
            let result = if op == "=" || op == "<>" {
                temporal::equals(l, r).map(|eq| eq == (op == "="))
            } else {
                temporal::compare(l, r).map(|ord| match op {
                    "<" => ord == Ordering::Less,
                    ">" => ord == Ordering::Greater,
                    "<=" => ord != Ordering::Greater,
                    _ => ord != Ordering::Less,
                })
            };
            return Ok(result.map_or(Value::Null, Value::Boolean));
        }
    };
    match arith {
        Some(r) => r.map_err(|e| format!("error: {e}")),
        None => Err(format!("unsupported {l} {op} {r}")),
    }
}
