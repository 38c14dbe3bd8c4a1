//! Update: the same convergence as Create, plus the repair of owned standards left
//! `INCOMPLETE` or `FAILED` and the disable of owned standards no longer named.

use cfn_custom_resource_kit::testing::assert_failed;
use cfn_custom_resource_kit::testing::{assert_all_called, update};
use cfn_custom_resource_kit::ReasonCode;

use super::*;

/// An owned standard left INCOMPLETE, or FAILED (a disable that could not finish), is
/// repaired: disabled, then enabled again.
#[tokio::test]
async fn an_update_repairs_an_owned_standard_left_incomplete_or_failed() {
    // (the standard, how the first read shows it, the reads until it is gone)
    let cases = [
        (
            CIS12,
            (Status::Incomplete, Reason::NoAvailableConfigurationRecorder),
            vec![
                enabled_are(&[(CIS12, Status::Deleting, None)]),
                none_enabled(),
            ],
        ),
        (
            PCI,
            (Status::Failed, Reason::InternalError),
            vec![none_enabled()],
        ),
    ];
    for (id, (status, reason), until_gone) in cases {
        let ssm = Ssm::owning(&[id]);
        let read = enabled_are(&[(id, status, Some(reason))]);
        let off = disable(&[id]);
        let enable = enable_answers_pending(&[id]);
        let ready = enabled_are(&[is_ready(id)]);
        let mut rules = vec![&read, &off];
        rules.extend(&until_gone);
        rules.extend([&enable, &ready]);
        let outcome = update(&converging(&rules, &ssm), json!({"Standards": [id]}))
            .await
            .unwrap();
        assert_all_called(&rules);
        assert_eq!(outcome.data["Adopted"], "");
        assert_eq!(ssm.owned_ids(), [id]);
    }
}

#[tokio::test]
async fn an_adopted_incomplete_standard_is_not_repaired_but_reported() {
    let ssm = Ssm::new();
    let incomplete: [Shown; 1] = [(
        CIS12,
        Status::Incomplete,
        Some(Reason::NoAvailableConfigurationRecorder),
    )];
    let read = enabled_are(&incomplete);
    let still = enabled_are(&incomplete);
    let rules = [&read, &still];
    let answer = update(&converging(&rules, &ssm), json!({"Standards": [CIS12]})).await;
    assert_all_called(&rules);
    assert_failed(
        answer,
        ReasonCode::NotActive,
        &["enabled before this resource"],
    );
}

#[tokio::test]
async fn an_update_disables_removed_owned_standards_and_never_adopted_ones() {
    let ssm = Ssm::owning(&[AFSBP, PCI]);
    let read = enabled_are(&[is_ready(AFSBP), is_ready(PCI), is_ready(NIST)]);
    let enable = enable_answers_pending(&[CIS14]);
    let off = disable(&[PCI]);
    let gone = enabled_are(&[is_ready(AFSBP), is_pending(CIS14), is_ready(NIST)]);
    let ready = enabled_are(&[is_ready(AFSBP), is_ready(CIS14), is_ready(NIST)]);
    let rules = [&read, &enable, &off, &gone, &ready];
    let outcome = update(
        &converging(&rules, &ssm),
        json!({"Standards": [AFSBP, CIS14]}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
    assert_eq!(
        ssm.owned_ids(),
        [AFSBP, CIS14],
        "PCI released, NIST never owned"
    );
    assert_eq!(outcome.data["Adopted"], "");
}
