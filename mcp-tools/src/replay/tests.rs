use super::*;

fn fill(status: &str, filled: &str, price: Option<&str>) -> Fill {
    Fill {
        status: status.into(),
        filled: filled.into(),
        average_price: price.map(Into::into),
    }
}

#[test]
fn prices_compare_within_the_relative_tolerance_and_quantities_exactly() {
    let bp = Decimal::new(1, 4);
    let was = fill("Filled", "0.5", Some("180"));
    assert!(
        fill_differences(
            Some(&was),
            Some(&fill("Filled", "0.50", Some("180.018"))),
            bp
        )
        .is_empty()
    );
    assert_eq!(
        fill_differences(Some(&was), Some(&fill("Filled", "0.5", Some("180.02"))), bp),
        ["average price: recorded 180, replayed 180.02"]
    );
    assert_eq!(
        fill_differences(Some(&was), Some(&fill("PartiallyFilled", "0.4", None)), bp),
        [
            "status: recorded Filled, replayed PartiallyFilled",
            "executed quantity: recorded 0.5, replayed 0.4",
            "average price: recorded 180, replayed none"
        ]
    );
    assert!(
        fill_differences(None, Some(&was), bp).is_empty(),
        "an older journal has no fill"
    );
}

#[test]
fn an_unknown_or_missing_outcome_matches_anything_and_says_what_happened() {
    let unknown = Outcome {
        outcome: Some(WriteOutcome::Unknown),
        ..Outcome::default()
    };
    let rejected = Outcome {
        outcome: Some(WriteOutcome::Rejected),
        ..Outcome::default()
    };
    let (verdict, differences, note) = compare(&unknown, &rejected, &Options::default());
    assert_eq!((verdict, differences.len()), (Verdict::Match, 0));
    assert!(note.unwrap_or_default().contains("rejected"));
    let accepted = Outcome {
        outcome: Some(WriteOutcome::Accepted),
        ..Outcome::default()
    };
    let (verdict, differences, _) = compare(&accepted, &rejected, &Options::default());
    assert_eq!(verdict, Verdict::Differs);
    assert_eq!(
        differences,
        ["outcome: recorded accepted, replayed rejected"]
    );
    let (verdict, ..) = compare(&Outcome::default(), &accepted, &Options::default());
    assert_eq!(verdict, Verdict::Match);
}

#[test]
fn an_ibkr_fill_sent_after_the_answer_matches_the_order_a_moment_later() {
    let accepted = |status: &str, filled: &str, price: Option<&str>| Outcome {
        outcome: Some(WriteOutcome::Accepted),
        fill: Some(fill(status, filled, price)),
        detail: None,
    };
    let settled = |o: &Outcome| o.fill.clone();
    let options = Options::default();
    // The run's answer held the fill; the replay's came a moment after its answer.
    let recorded = accepted("Filled", "10", Some("150.01"));
    let answer = accepted("Submitted", "0", None);
    let (verdict, differences, note) =
        compare_settled(&recorded, &answer, settled(&recorded), &options);
    assert_eq!((verdict, differences.len()), (Verdict::Match, 0));
    assert!(note.unwrap_or_default().contains("a moment after"));
    // The same answers match without a note.
    let (verdict, _, note) = compare_settled(&recorded, &recorded, settled(&recorded), &options);
    assert_eq!((verdict, note), (Verdict::Match, None));
    // Neither the answer nor the order a moment later is what was recorded: the answer's
    // differences are the report.
    let elsewhere = accepted("Filled", "10", Some("151"));
    let (verdict, differences, _) =
        compare_settled(&recorded, &answer, settled(&elsewhere), &options);
    assert_eq!(verdict, Verdict::Differs);
    assert_eq!(
        differences,
        [
            "status: recorded Filled, replayed Submitted",
            "executed quantity: recorded 10, replayed 0",
            "average price: recorded 150.01, replayed none",
        ]
    );
}
