//! Stage numbers (`COPY --from=0`) shifted for the xx stage put first.

use super::*;

/// `text` with every stage number in a `COPY --from=<n>` or a
/// `RUN --mount=...,from=<n>` flag one higher, for the `xx` stage put
/// before the first stage; the lines stay where they are (only the flags
/// of those instructions change), and each change is reported.
pub(super) fn shift_stage_numbers(text: &str, file: &Dockerfile, plan: &mut Plan) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let instructions = file
        .stages
        .iter()
        .flat_map(|stage| stage.instructions.iter())
        .filter(|instruction| matches!(instruction.keyword.as_str(), "COPY" | "RUN"));
    for instruction in instructions {
        let mut in_flags = true;
        let mut first_word = true;
        for number in instruction.line..=instruction.end_line {
            let Some(line) = lines.get_mut(number - 1) else {
                break;
            };
            if !in_flags {
                break;
            }
            let (new, still_flags) = shift_flags_of_line(line, first_word, &mut |old, new| {
                plan.change(
                    instruction.line,
                    format!(
                        "stage #{old} is #{new} now (the xx stage comes first): {} --from renumbered",
                        instruction.keyword
                    ),
                )
            });
            first_word = false;
            in_flags = still_flags;
            *line = new;
        }
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// One line of an instruction's flags with the stage numbers shifted
/// ([`shift_stage_numbers`]); whether the flags go on past this line.
/// `keyword_first` when the line starts with the instruction's keyword.
pub(super) fn shift_flags_of_line(
    line: &str,
    keyword_first: bool,
    report: &mut dyn FnMut(usize, usize),
) -> (String, bool) {
    let mut out = String::with_capacity(line.len() + 2);
    let mut rest = line;
    let mut skip_keyword = keyword_first;
    loop {
        let spaces = rest.len() - rest.trim_start().len();
        out.push_str(&rest[..spaces]);
        rest = &rest[spaces..];
        if rest.is_empty() {
            return (out, true);
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        if skip_keyword {
            skip_keyword = false;
            out.push_str(word);
        } else if word == "\\" || word == "`" {
            out.push_str(word);
        } else if let Some(value) = word.strip_prefix("--from=") {
            match value.parse::<usize>() {
                Ok(old) if value.bytes().all(|byte| byte.is_ascii_digit()) => {
                    report(old, old + 1);
                    out.push_str(&format!("--from={}", old + 1));
                }
                _ => out.push_str(word),
            }
        } else if let Some(value) = word.strip_prefix("--mount=") {
            let fields: Vec<String> = value
                .split(',')
                .map(|field| match field.strip_prefix("from=") {
                    Some(number)
                        if !number.is_empty()
                            && number.bytes().all(|byte| byte.is_ascii_digit()) =>
                    {
                        let old: usize = number.parse().unwrap_or(0);
                        report(old, old + 1);
                        format!("from={}", old + 1)
                    }
                    _ => field.to_string(),
                })
                .collect();
            out.push_str("--mount=");
            out.push_str(&fields.join(","));
        } else if word.starts_with("--") {
            out.push_str(word);
        } else {
            out.push_str(rest);
            return (out, false);
        }
        rest = &rest[end..];
    }
}
