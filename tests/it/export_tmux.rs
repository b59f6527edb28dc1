//! `x` Enter and `y` in the real binary, in a real terminal (tmux), on the
//! demo: the file appears in the working directory, the record reaches
//! tmux's clipboard. `.ci/run` installs tmux; without it this test fails
//! and says so.

use std::time::{Duration, Instant};

use crate::support::TempDir;
use crate::support::tmux::{Tmux, dashboard};

/// `command` run in `dir`, then its exit code shown (`EXITED=n`).
fn in_dir(dir: &TempDir, command: &str) -> String {
    format!(
        "cd {} && {command}; echo EXITED=$?; sleep 30",
        dir.path().display()
    )
}

#[test]
fn x_enter_writes_the_matches_and_y_copies_a_record() {
    let dir = TempDir::new("export-tmux");
    // No keys and no config: the demo. TMUX unset: the plain OSC 52,
    // which tmux takes itself with set-clipboard on.
    let command = in_dir(&dir, &format!("unset TMUX; {}", dashboard("", "")));
    let tmux = Tmux::start("export", 120, 40, &command);
    tmux.tmux(&["set-option", "-g", "set-clipboard", "on"]);
    tmux.wait_for("the demo", |s| {
        s.contains("DEMO") && s.contains("Domain logs")
    });
    tmux.keys(&["3"]);
    tmux.wait_for("the logs pane focused", |s| s.contains("▶ 3 Domain logs"));

    // Records may still be on their way: ask until the prompt opens.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        tmux.keys(&["x"]);
        std::thread::sleep(Duration::from_millis(300));
        if tmux.screen().contains("Enter export") {
            break;
        }
        assert!(Instant::now() < deadline, "no prompt:\n{}", tmux.screen());
    }
    let screen = tmux.screen();
    assert!(screen.contains("file: ./"), "{screen}");
    assert!(screen.contains(".ndjson"), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the export's end", |s| s.contains("exported "));
    assert!(!screen.contains("export failed"), "{screen}");

    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one file, no temporary left: {files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("Z.ndjson"), "{name}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|l| l["id"].is_string() && l["timestamp"].is_string())
    );
    assert!(
        screen.contains(&format!(
            "exported {}",
            misar_dash::app::feed::group_digits(lines.len() as u64)
        )),
        "{screen}"
    );

    // y: the selected record, through OSC 52, into tmux's buffer.
    assert_eq!(tmux.buffers(), "");
    tmux.keys(&["y"]);
    tmux.wait_for("the copy said", |s| s.contains("(OSC 52)"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.buffers().is_empty() {
        assert!(Instant::now() < deadline, "no buffer");
        std::thread::sleep(Duration::from_millis(100));
    }
    let copied = tmux.tmux(&["show-buffer"]);
    let record: serde_json::Value = serde_json::from_str(copied.trim()).unwrap();
    assert!(record["id"].is_string(), "{copied}");

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED="));
    assert!(screen.contains("EXITED=0"), "{screen}");
}

#[test]
fn sixty_thousand_records_go_to_csv_in_chunks_through_the_loop() {
    let dir = TempDir::new("export-tmux-bulk");
    let command = in_dir(
        &dir,
        &dashboard("", "--sim --domain bulk.example.com --limit 60000"),
    );
    let tmux = Tmux::start("export-bulk", 120, 40, &command);
    tmux.wait_for("every record held", |s| {
        s.contains("60,000 held") && s.contains("complete")
    });
    tmux.keys(&["3", "x"]);
    tmux.wait_for("the prompt", |s| s.contains("Export 60,000 matches"));
    tmux.keys(&["C-u"]);
    tmux.type_text("bulk.csv");
    tmux.wait_for("CSV picked by the name", |s| s.contains("as CSV"));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the export's end", |s| {
        s.contains("exported ") || s.contains("failed")
    });
    assert!(
        screen.contains("exported 60,000 records to bulk.csv"),
        "{screen}"
    );
    let mut reader = csv::Reader::from_path(dir.join("bulk.csv")).unwrap();
    let rows = reader.records().map(Result::unwrap).count();
    assert_eq!(rows, 60_000);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file left");

    // Asked again under the same name: it asks before replacing.
    tmux.keys(&["x"]);
    tmux.wait_for("the prompt", |s| s.contains("Enter export"));
    tmux.keys(&["C-u"]);
    tmux.type_text("bulk.csv");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the question", |s| {
        s.contains("bulk.csv exists. Replace it? (y/n)")
    });
    tmux.keys(&["Escape", "Escape"]);
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the program to exit", |s| s.contains("EXITED="));
    assert!(screen.contains("EXITED=0"), "{screen}");
}
