//! Who may ask: only stacks in the function's own partition, region and account.
//!
//! Anyone with `lambda:InvokeFunction` can send any event, and the functions act on this
//! account's Config and Security Hub. CloudFormation calls a custom resource's
//! ServiceToken only from a stack in the function's own region ("the service token must
//! be from the same Region in which you are creating the stack", AWS::CloudFormation::
//! CustomResource), so a `StackId` of another region, partition or (unless listed)
//! account is never CloudFormation's: such a request is refused before any AWS call.

use crate::failure::{Failure, ReasonCode};

/// Environment variable listing other accounts (12-digit ids, comma-separated) whose
/// stacks may use the functions: a stack set's instances in member accounts calling a
/// function shared from a central account. Empty by default.
pub(crate) const ALLOWED_STACK_ACCOUNTS_ENV: &str = "CR_ALLOWED_STACK_ACCOUNTS";

/// Environment variable naming the function ARN to use when the runtime passes none.
/// Lambda always passes the real one, so this has no effect there; `cargo lambda watch`
/// passes the placeholder `function-arn`, and local runs set this instead.
pub(crate) const LOCAL_FUNCTION_ARN_ENV: &str = "CR_LOCAL_FUNCTION_ARN";

/// The partition, region and account requests must come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    partition: String,
    region: String,
    account: String,
    other_accounts: Vec<String>,
}

/// The fields of an ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`.
struct Arn<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn parse_arn(text: &str) -> Option<Arn<'_>> {
    let mut parts = text.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let arn = Arn {
        partition: parts.next()?,
        service: parts.next()?,
        region: parts.next()?,
        account: parts.next()?,
        resource: parts.next()?,
    };
    let plain = |field: &str| {
        !field.is_empty()
            && field
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    (plain(arn.partition) && plain(arn.service) && plain(arn.region) && is_account(arn.account))
        .then_some(arn)
}

fn is_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

impl Origin {
    /// The origin of the function whose ARN Lambda passed with the invocation, plus the
    /// accounts listed in [`ALLOWED_STACK_ACCOUNTS_ENV`].
    pub(crate) fn of_function(function_arn: &str) -> Result<Self, Failure> {
        let listed = std::env::var(ALLOWED_STACK_ACCOUNTS_ENV).unwrap_or_default();
        let local;
        let function_arn = if function_arn.starts_with("arn:") {
            function_arn
        } else {
            local = std::env::var(LOCAL_FUNCTION_ARN_ENV).unwrap_or_default();
            &local
        };
        Self::with_accounts(function_arn, &listed)
    }

    /// As [`Self::of_function`], with the other accounts given (comma-separated).
    pub(crate) fn with_accounts(function_arn: &str, other_accounts: &str) -> Result<Self, Failure> {
        let arn = parse_arn(function_arn)
            .filter(|arn| arn.service == "lambda" && arn.resource.starts_with("function:"))
            .ok_or_else(|| {
                Failure::new(
                    ReasonCode::AccessDenied,
                    "the invoked function ARN from the Lambda runtime is not a Lambda function ARN, so the request's origin cannot be checked",
                )
            })?;
        let mut accounts = Vec::new();
        for entry in other_accounts
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            if is_account(entry) {
                accounts.push(entry.to_owned());
            } else {
                // Refusing more is the safe side of a typo: the entry is ignored, not widened.
                tracing::warn!(
                    variable = ALLOWED_STACK_ACCOUNTS_ENV,
                    "an entry that is not a 12-digit account id is ignored"
                );
            }
        }
        Ok(Self {
            partition: arn.partition.to_owned(),
            region: arn.region.to_owned(),
            account: arn.account.to_owned(),
            other_accounts: accounts,
        })
    }

    /// The function's account.
    pub(crate) fn account(&self) -> &str {
        &self.account
    }

    /// `Ok` when `stack_id` is a CloudFormation stack ARN of this origin; otherwise
    /// `ACCESS_DENIED` naming what did not match (the ids are CloudFormation's routing
    /// fields, not property values).
    pub(crate) fn admit(&self, stack_id: &str) -> Result<(), Failure> {
        let refuse = |what: String| {
            Err(Failure::new(
                ReasonCode::AccessDenied,
                format!("{what}: only stacks in this function's partition, region and account may use it"),
            ))
        };
        let Some(stack) = parse_arn(stack_id).filter(|arn| {
            arn.service == "cloudformation"
                && arn
                    .resource
                    .strip_prefix("stack/")
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(name, id)| !name.is_empty() && !id.is_empty())
        }) else {
            return refuse("the StackId is not a CloudFormation stack ARN".to_owned());
        };
        if stack.partition != self.partition {
            return refuse(format!(
                "the StackId's partition {} is not the function's {}",
                stack.partition, self.partition
            ));
        }
        if stack.region != self.region {
            return refuse(format!(
                "the StackId's region {} is not the function's {}",
                stack.region, self.region
            ));
        }
        if stack.account != self.account && !self.other_accounts.iter().any(|a| a == stack.account)
        {
            return refuse(format!(
                "the StackId's account {} is neither the function's {} nor listed in {ALLOWED_STACK_ACCOUNTS_ENV}",
                stack.account, self.account
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:config-setup";
    const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/baseline/5b1c2d3e";

    fn refused(origin: &Origin, stack_id: &str) -> String {
        let failure = origin.admit(stack_id).unwrap_err();
        assert_eq!(failure.code(), ReasonCode::AccessDenied);
        failure.message().to_owned()
    }

    #[test]
    fn a_stack_of_the_functions_own_region_and_account_is_admitted() {
        let origin = Origin::with_accounts(FUNCTION, "").unwrap();
        origin.admit(STACK).unwrap();
        // An alias or version in the invoked ARN changes nothing.
        let aliased = Origin::with_accounts(&format!("{FUNCTION}:live"), "").unwrap();
        aliased.admit(STACK).unwrap();
    }

    #[test]
    fn another_region_account_or_partition_is_refused_naming_it() {
        let origin = Origin::with_accounts(FUNCTION, "").unwrap();
        let message = refused(
            &origin,
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/baseline/1",
        );
        assert!(message.contains("region eu-west-1"), "{message}");
        let message = refused(
            &origin,
            "arn:aws:cloudformation:us-east-1:210987654321:stack/baseline/1",
        );
        assert!(message.contains("account 210987654321"), "{message}");
        let message = refused(
            &origin,
            "arn:aws-cn:cloudformation:us-east-1:123456789012:stack/baseline/1",
        );
        assert!(message.contains("partition aws-cn"), "{message}");
    }

    #[test]
    fn what_is_not_a_stack_arn_is_refused() {
        let origin = Origin::with_accounts(FUNCTION, "").unwrap();
        for stack_id in [
            "",
            "baseline",
            "arn:aws:s3:us-east-1:123456789012:stack/baseline/1",
            "arn:aws:cloudformation:us-east-1:123456789012:stackset/baseline:1",
            "arn:aws:cloudformation:us-east-1:123456789012:stack/baseline",
            "arn:aws:cloudformation:us-east-1:12345:stack/baseline/1",
            "arn:aws:cloudformation:us-east-1:123456789012:stack//1",
        ] {
            let message = refused(&origin, stack_id);
            assert!(
                message.contains("not a CloudFormation stack ARN"),
                "{message}"
            );
        }
    }

    #[test]
    fn listed_accounts_are_admitted_and_bad_entries_ignored() {
        let origin = Origin::with_accounts(FUNCTION, " 210987654321 ,not-an-account,*").unwrap();
        origin
            .admit("arn:aws:cloudformation:us-east-1:210987654321:stack/member/1")
            .unwrap();
        refused(
            &origin,
            "arn:aws:cloudformation:us-east-1:111111111111:stack/member/1",
        );
        // A listed account still needs the function's region.
        refused(
            &origin,
            "arn:aws:cloudformation:us-west-2:210987654321:stack/member/1",
        );
    }

    #[test]
    fn without_a_function_arn_nothing_is_admitted() {
        for arn in ["", "arn:aws:iam::123456789012:role/x", "function:x"] {
            let failure = Origin::with_accounts(arn, "").unwrap_err();
            assert_eq!(failure.code(), ReasonCode::AccessDenied);
        }
    }
}
