//! The interactive shell (line editing and history with rustyline) and its
//! non-interactive twin that reads statements from standard input.
//!
//! Statements end with `;` (outside strings and comments) and may span
//! lines; a line that starts with `:` between statements is a command:
//! `:param`, `:params`, `:format`, `:help`, `:exit`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use rustyline::error::ReadlineError;

use super::{render, Format, Session};
use crate::http::query::codec;

const HELP: &str = "\
Statements end with ; and may span several lines.
  :param name => value   set a parameter (the value is a Cypher literal: 5, 'Ann', [1, 2], {k: 1}, date('2020-01-01'))
  :param {a: 1, b: 'x'}  set several parameters
  :params                list the parameters
  :params clear          forget all parameters
  :format table|csv|json change the output format
  :help                  this text
  :exit                  leave (also Ctrl-D)
Ctrl-C clears the statement being typed.";

/// Where history is kept: `$CAREGRAPH_HISTORY`, else `~/.caregraph_history`.
pub fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CAREGRAPH_HISTORY") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".caregraph_history"))
}

/// Splits `text` into complete statements (without their `;`, empty ones
/// dropped) and the unfinished rest. Semicolons inside strings, quoted
/// names and comments do not count.
pub fn split_statements(text: &str) -> (Vec<String>, String) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Code,
        Quoted(char),
        LineComment,
        BlockComment,
    }
    let mut statements = Vec::new();
    let mut state = State::Code;
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match state {
            State::Code => match c {
                '\'' | '"' | '`' => state = State::Quoted(c),
                '/' if chars.peek().is_some_and(|(_, n)| *n == '/') => {
                    chars.next();
                    state = State::LineComment;
                }
                '/' if chars.peek().is_some_and(|(_, n)| *n == '*') => {
                    chars.next();
                    state = State::BlockComment;
                }
                ';' => {
                    let statement = text[start..i].trim();
                    if !statement.is_empty() {
                        statements.push(statement.to_owned());
                    }
                    start = i + 1;
                }
                _ => {}
            },
            State::Quoted(quote) => {
                if c == '\\' && quote != '`' {
                    chars.next();
                } else if c == quote {
                    state = State::Code;
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Code;
                }
            }
            State::BlockComment => {
                if c == '*' && chars.peek().is_some_and(|(_, n)| *n == '/') {
                    chars.next();
                    state = State::Code;
                }
            }
        }
    }
    (statements, text[start..].to_owned())
}

/// What the caller does after a command.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Continue,
    Exit,
}

/// Runs a `:command`; messages go to `out`, errors to `err`. `Ok(false)`
/// when the command failed.
fn command(
    session: &mut Session,
    line: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<(Next, bool)> {
    let line = line.trim().trim_end_matches(';').trim();
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    match name {
        ":exit" | ":quit" | ":q" => return Ok((Next::Exit, true)),
        ":help" | ":h" => writeln!(out, "{HELP}")?,
        ":param" if rest.is_empty() => {
            writeln!(err, "usage: :param name => value")?;
            return Ok((Next::Continue, false));
        }
        ":param" => match session.set_param(rest) {
            Ok(names) => {
                for name in names {
                    let value = codec::Encoder::detached().value(&session.params[&name]);
                    writeln!(out, "{name} => {}", render::value(&value))?;
                }
            }
            Err(e) => {
                e.report(rest, err)?;
                return Ok((Next::Continue, false));
            }
        },
        ":params" if rest == "clear" => session.params.clear(),
        ":params" => {
            if session.params.is_empty() {
                writeln!(out, "no parameters")?;
            }
            for (name, value) in &session.params {
                let value = codec::Encoder::detached().value(value);
                writeln!(out, ":param {name} => {}", render::value(&value))?;
            }
        }
        ":format" => match rest {
            "table" => session.format = Format::Table,
            "csv" => session.format = Format::Csv,
            "json" => session.format = Format::Json,
            _ => {
                writeln!(err, "usage: :format table|csv|json")?;
                return Ok((Next::Continue, false));
            }
        },
        _ => {
            writeln!(err, "unknown command {name}; :help lists them")?;
            return Ok((Next::Continue, false));
        }
    }
    Ok((Next::Continue, true))
}

/// Runs a statement and prints its result or error; `false` on error.
fn statement(
    session: &Session,
    text: &str,
    elapsed_shown: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<bool> {
    let started = Instant::now();
    match session.run(text) {
        Ok(body) => {
            render::render(&body, session.format, render::terminal_width(), out)?;
            if elapsed_shown && session.format == Format::Table {
                writeln!(out, "({} ms)", started.elapsed().as_millis())?;
            }
            out.flush()?;
            Ok(true)
        }
        Err(e) => {
            e.report(text, err)?;
            Ok(false)
        }
    }
}

/// The interactive shell; the exit status is always 0 (errors are shown
/// and the shell goes on).
pub fn interactive(session: &mut Session) -> anyhow::Result<u8> {
    let mut editor = rustyline::DefaultEditor::new()?;
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is a first session, not an error.
        let _ = editor.load_history(path);
    }
    println!("CareGraph Cypher shell. End statements with ;  Type :help for help, :exit to leave.");
    let mut buffer = String::new();
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    loop {
        let prompt = if buffer.trim().is_empty() {
            "caregraph> "
        } else {
            "         > "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        if buffer.trim().is_empty() && line.trim_start().starts_with(':') {
            buffer.clear();
            if command(session, &line, &mut out, &mut err)?.0 == Next::Exit {
                break;
            }
            continue;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        let (statements, rest) = split_statements(&buffer);
        buffer = rest;
        for text in statements {
            statement(session, &text, true, &mut out, &mut err)?;
        }
    }
    if let Some(path) = &history {
        if let Err(e) = editor.save_history(path) {
            tracing::warn!(path = %path.display(), error = %e, "cannot save the shell history");
        }
    }
    Ok(0)
}

/// Reads statements and commands from `input` (a script piped in) and runs
/// them in order, stopping at the first error (exit status 1). A last
/// statement without `;` runs too.
pub fn script(session: &mut Session, input: impl BufRead) -> anyhow::Result<u8> {
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    run_script(session, input, &mut out, &mut err)
}

fn run_script(
    session: &mut Session,
    input: impl BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut buffer = String::new();
    for line in input.lines() {
        let line = line?;
        if buffer.trim().is_empty() && line.trim_start().starts_with(':') {
            buffer.clear();
            let (next, ok) = command(session, &line, out, err)?;
            if !ok {
                return Ok(1);
            }
            if next == Next::Exit {
                return Ok(0);
            }
            continue;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        let (statements, rest) = split_statements(&buffer);
        buffer = rest;
        for text in statements {
            if !statement(session, &text, false, out, err)? {
                return Ok(1);
            }
        }
    }
    let last = buffer.trim();
    if !last.is_empty() && !statement(session, last, false, out, err)? {
        return Ok(1);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_semicolons_outside_strings_and_comments() {
        let (done, rest) =
            split_statements("RETURN ';' AS a; // x;\nRETURN \"b\\\";\" /* ; */;\nMATCH (n)");
        assert_eq!(
            done,
            vec![
                "RETURN ';' AS a".to_owned(),
                "// x;\nRETURN \"b\\\";\" /* ; */".to_owned()
            ]
        );
        assert_eq!(rest, "\nMATCH (n)");
        let (done, rest) = split_statements("RETURN `a;b`;;  ");
        assert_eq!(done, vec!["RETURN `a;b`".to_owned()]);
        assert_eq!(rest, "  ");
    }

    #[test]
    fn scripts_run_commands_and_statements_in_order() {
        let mut session = Session::for_tests();
        let input = ":param n => 2\nRETURN $n * 21\n  AS answer;\n:format csv\nRETURN 'x' AS s";
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_script(&mut session, input.as_bytes(), &mut out, &mut err).expect("run");
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
        assert_eq!(
            String::from_utf8_lossy(&out),
            "n => 2\n+--------+\n| answer |\n+--------+\n| 42     |\n+--------+\n1 row\ns\nx\n"
        );
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_script(
            &mut session,
            "RETURN 1;\nRETURN nope;\nRETURN 3;".as_bytes(),
            &mut out,
            &mut err,
        )
        .expect("run");
        assert_eq!(code, 1);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "1\n1\n",
            "stops at the error"
        );
        assert!(
            String::from_utf8_lossy(&err).contains("code: Neo.ClientError.Statement.SyntaxError"),
            "{}",
            String::from_utf8_lossy(&err)
        );
    }

    #[test]
    fn commands_list_and_clear_parameters() {
        let mut session = Session::for_tests();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        for line in [
            ":param {a: 1, b: 'x'}",
            ":params",
            ":params clear",
            ":params",
        ] {
            let (next, ok) = command(&mut session, line, &mut out, &mut err).expect("write");
            assert_eq!((next, ok), (Next::Continue, true));
        }
        assert_eq!(
            String::from_utf8_lossy(&out),
            "a => 1\nb => \"x\"\n:param a => 1\n:param b => \"x\"\nno parameters\n"
        );
        let (next, ok) = command(&mut session, ":nope", &mut out, &mut err).expect("write");
        assert_eq!((next, ok), (Next::Continue, false));
        let (next, _) = command(&mut session, ":exit", &mut out, &mut err).expect("write");
        assert_eq!(next, Next::Exit);
    }
}
