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
    let (verdict, differences, note) =
        compare(Venue::Backpack, &unknown, &rejected, &Options::default());
    assert_eq!((verdict, differences.len()), (Verdict::Match, 0));
    assert!(note.unwrap_or_default().contains("rejected"));
    let accepted = Outcome {
        outcome: Some(WriteOutcome::Accepted),
        ..Outcome::default()
    };
    let (verdict, differences, _) =
        compare(Venue::Backpack, &accepted, &rejected, &Options::default());
    assert_eq!(verdict, Verdict::Differs);
    assert_eq!(
        differences,
        ["outcome: recorded accepted, replayed rejected"]
    );
    let (verdict, ..) = compare(
        Venue::Ibkr,
        &Outcome::default(),
        &accepted,
        &Options::default(),
    );
    assert_eq!(verdict, Verdict::Match);
}
