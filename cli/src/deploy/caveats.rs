//! The README's caveats for a stack set ("An organization: StackSets"), checked where they
//! bite from what the command line gives, the stack set's previous parameters and what the
//! administrator account can list: Control Tower's own stack sets. Pure: the caller reads.

use crate::baseline::Parameters;

/// The prefix of the stack set Control Tower deploys AWS Config with, in the management
/// account (`AWSControlTowerBP-BASELINE-CONFIG`): where it exists, Control Tower records
/// in the enrolled accounts.
pub const CONTROL_TOWER_CONFIG: &str = "AWSControlTowerBP-BASELINE-CONFIG";

/// One caveat that applies: a refusal (`--force` overrides it) or a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caveat {
    /// Whether the stack set is refused for it unless `--force` is given.
    pub refuse: bool,
    /// What bites, and what to do.
    pub text: String,
}

impl Caveat {
    fn refuse(text: String) -> Self {
        Caveat { refuse: true, text }
    }

    fn note(text: String) -> Self {
        Caveat {
            refuse: false,
            text,
        }
    }
}

/// The caveats of deploying with `parameters` (the template's defaults, the stack set's
/// previous values, then those given) to `regions`; `control_tower`: whether Control
/// Tower's Config stack set was found (`Err`: it could not be listed, and why).
pub fn check(
    regions: &[String],
    parameters: &Parameters,
    control_tower: Result<bool, String>,
) -> Vec<Caveat> {
    let mut caveats = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for region in regions {
        if seen.contains(&region.as_str()) {
            caveats.push(Caveat::refuse(format!(
                "one recorder per region: {region} is named twice in --regions"
            )));
        }
        seen.push(region);
    }
    let global = parameters.get("GlobalResourceTypesRegion");
    if global.is_empty() && regions.len() > 1 {
        caveats.push(Caveat::refuse(format!(
            "global resource types once per account: GlobalResourceTypesRegion is empty, so each of the {} regions records IAM and (CreateTrail={}) creates its own multi-region trail; give every instance the same home region (--parameter-overrides GlobalResourceTypesRegion={})",
            regions.len(),
            parameters.get("CreateTrail"),
            regions[0]
        )));
    } else if !global.is_empty() && !regions.iter().any(|r| r == global) {
        caveats.push(Caveat::note(format!(
            "global resource types once per account: GlobalResourceTypesRegion={global} is not among --regions: these instances record no IAM and create no trail (right only if {global} is deployed separately)"
        )));
    }
    let fail_on_existing = parameters.get("ExistingRecorder") == "Fail";
    match control_tower {
        Ok(true) if fail_on_existing => caveats.push(Caveat::refuse(format!(
            "one recorder per region: Control Tower records in its enrolled accounts ({CONTROL_TOWER_CONFIG}), and ExistingRecorder=Fail fails there (CONFLICT); use ExistingRecorder=Adopt (its recorder is adopted read-only)"
        ))),
        Ok(true) => caveats.push(Caveat::note(format!(
            "one recorder per region: Control Tower records in its enrolled accounts ({CONTROL_TOWER_CONFIG}); ConfigSetup adopts its recorder read-only (ORG_MANAGED where it does not record)"
        ))),
        _ if fail_on_existing => caveats.push(Caveat::note(
            "one recorder per region: ExistingRecorder=Fail fails in every account and region that already records (Control Tower, an earlier set-up)".to_owned(),
        )),
        Ok(false) => {}
        Err(why) => caveats.push(Caveat::note(format!(
            "one recorder per region: whether Control Tower records could not be read ({why}); its recorder is adopted read-only"
        ))),
    }
    if parameters.get("EnableSecurityHub") == "true" {
        let retain = parameters.get("SecurityHubOnDelete") == "Retain";
        caveats.push(Caveat::note(format!(
            "Security Hub administrator and members: with a delegated administrator and central configuration, a member's settings are refused (ORG_MANAGED) and neither a member nor an administrator with members may disable Security Hub (CONFLICT on Delete); deploy with EnableSecurityHub=false there{}",
            if retain { "" } else { " (or at least SecurityHubOnDelete=Retain)" }
        )));
    }
    caveats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters(pairs: &[(&str, &str)]) -> Parameters {
        let mut parameters = Parameters::default();
        for (key, value) in pairs {
            parameters.set(key, value).unwrap();
        }
        parameters
    }

    fn regions(names: &[&str]) -> Vec<String> {
        names.iter().map(|r| (*r).to_owned()).collect()
    }

    fn texts(caveats: &[Caveat], refuse: bool) -> Vec<&str> {
        let matching = caveats.iter().filter(|c| c.refuse == refuse);
        matching.map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn the_readme_caveats_bite_where_they_apply() {
        let home = [
            ("GlobalResourceTypesRegion", "eu-west-1"),
            ("EnableSecurityHub", "false"),
        ];
        let two = regions(&["eu-west-1", "eu-central-1"]);
        assert_eq!(check(&two, &parameters(&home), Ok(false)), []);

        let defaults = check(&two, &Parameters::default(), Ok(false));
        let refused = texts(&defaults, true);
        assert_eq!(refused.len(), 1, "{defaults:?}");
        assert!(refused[0].contains("GlobalResourceTypesRegion=eu-west-1"));
        let notes = texts(&defaults, false);
        assert!(notes[0].contains("SecurityHubOnDelete=Retain"), "{notes:?}");
        assert!(check(&two[..1], &Parameters::default(), Ok(false))
            .iter()
            .all(|c| !c.refuse));

        let twice = regions(&["eu-west-1", "eu-west-1"]);
        let caveats = check(&twice, &parameters(&home), Ok(false));
        assert!(texts(&caveats, true)[0].contains("eu-west-1 is named twice"));

        let fail = [home[0], home[1], ("ExistingRecorder", "Fail")];
        let caveats = check(&two, &parameters(&fail), Ok(true));
        assert!(
            texts(&caveats, true)[0].contains("Control Tower"),
            "{caveats:?}"
        );
        let caveats = check(&two, &parameters(&home), Ok(true));
        assert!(texts(&caveats, false)[0].contains("adopts its recorder read-only"));
        let caveats = check(&two, &parameters(&home), Err("AccessDenied".into()));
        assert!(texts(&caveats, false)[0].contains("(AccessDenied)"));

        let elsewhere = [("GlobalResourceTypesRegion", "us-east-1"), home[1]];
        let caveats = check(&two, &parameters(&elsewhere), Ok(false));
        assert!(texts(&caveats, false)[0].contains("not among --regions"));
    }
}
