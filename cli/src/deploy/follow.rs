//! Following a stack operation live: `DescribeStackEvents` polled, each new event shown
//! as it comes, until the stack's own terminal event.

use std::time::Duration;

use aws_sdk_cloudformation::types::StackEvent;
use aws_sdk_cloudformation::Client;
use aws_smithy_types::date_time::Format;

use super::events::{Event, Watch};
use crate::aws::why;

impl From<&StackEvent> for Event {
    fn from(event: &StackEvent) -> Self {
        Event {
            event_id: event.event_id().unwrap_or_default().to_owned(),
            logical_resource_id: event.logical_resource_id().unwrap_or_default().to_owned(),
            resource_type: event.resource_type().unwrap_or_default().to_owned(),
            timestamp: event
                .timestamp()
                .and_then(|t| t.fmt(Format::DateTime).ok())
                .unwrap_or_default(),
            resource_status: event
                .resource_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            resource_status_reason: event.resource_status_reason().map(str::to_owned),
        }
    }
}

/// Polls `stack`'s events every `every` from after the event `before` (the newest one
/// read before the operation began), hands each new one to `show`, oldest first, and
/// returns once the stack's terminal event has come.
pub async fn follow(
    client: &Client,
    stack: &str,
    before: Option<String>,
    every: Duration,
    mut show: impl FnMut(&Event),
) -> Result<Watch, String> {
    let mut watch = Watch::after(before);
    loop {
        let page = newest_events(client, stack, &watch).await?;
        watch.take(&page).iter().for_each(&mut show);
        if watch.outcome().is_some() {
            return Ok(watch);
        }
        tokio::time::sleep(every).await;
    }
}

/// The newest events, newest first: pages until one reaches an event already known.
async fn newest_events(client: &Client, stack: &str, watch: &Watch) -> Result<Vec<Event>, String> {
    pages_until(client, stack, |page| {
        page.iter().any(|e| watch.knows(&e.event_id))
    })
    .await
}

/// The newest event of `stack` (none yet: `None`): where following an operation starts.
pub async fn newest_event(client: &Client, stack: &str) -> Result<Option<String>, String> {
    let first = pages_until(client, stack, |_| true).await?;
    Ok(first.into_iter().next().map(|e| e.event_id))
}

/// `stack`'s events, newest first, page by page until the last one or the first page
/// `enough` accepts.
async fn pages_until(
    client: &Client,
    stack: &str,
    mut enough: impl FnMut(&[Event]) -> bool,
) -> Result<Vec<Event>, String> {
    let request = client.describe_stack_events().stack_name(stack);
    let mut pages = request.into_paginator().send();
    let mut events = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("DescribeStackEvents {stack}: {}", why(&e)))?;
        let page: Vec<Event> = page.stack_events().iter().map(Event::from).collect();
        let done = enough(&page);
        events.extend(page);
        if done {
            break;
        }
    }
    Ok(events)
}

#[cfg(test)]
pub(super) mod tests {
    use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
    use aws_sdk_cloudformation::types::ResourceStatus;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_types::DateTime;

    use super::*;
    use crate::deploy::events::{root_cause, tests::failed_create, Outcome};

    fn stack_event(event: &Event) -> StackEvent {
        StackEvent::builder()
            .event_id(&event.event_id)
            .stack_name("security-baseline")
            .stack_id("arn:aws:cloudformation:us-east-1:123456789012:stack/security-baseline/1")
            .logical_resource_id(&event.logical_resource_id)
            .resource_type(&event.resource_type)
            .timestamp(DateTime::from_str(&event.timestamp, Format::DateTime).unwrap())
            .resource_status(ResourceStatus::from(event.resource_status.as_str()))
            .set_resource_status_reason(event.resource_status_reason.clone())
            .build()
    }

    /// `events` as one DescribeStackEvents page.
    pub(in crate::deploy) fn page(events: &[Event]) -> DescribeStackEventsOutput {
        DescribeStackEventsOutput::builder()
            .set_stack_events(Some(events.iter().map(stack_event).collect()))
            .build()
    }

    #[tokio::test]
    async fn a_failed_create_is_followed_to_its_rollback_and_its_first_failure_named() {
        let events = failed_create();
        let (mid, end) = (page(&events[7..]), page(&events));
        let describe = mock!(Client::describe_stack_events)
            .match_requests(|input| input.stack_name() == Some("security-baseline"))
            .sequence()
            .output(move || mid.clone())
            .output(move || end.clone())
            .build();
        let client = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, [&describe]);
        let mut shown = Vec::new();
        let watch = follow(
            &client,
            "security-baseline",
            Some("e1".into()),
            Duration::ZERO,
            |e| shown.push(e.event_id.clone()),
        )
        .await
        .unwrap();
        assert_eq!(describe.num_calls(), 2);
        let expected: Vec<String> = (2..=16).map(|n| format!("e{n}")).collect();
        assert_eq!(
            shown, expected,
            "each event once, oldest first, none from before"
        );
        assert_eq!(watch.outcome(), Some(Outcome::RolledBack));
        let cause = root_cause(&watch.events).unwrap();
        assert_eq!(cause.logical_id, "ConfigSetup");
        assert_eq!(cause.custom.map(|c| c.code).as_deref(), Some("NOT_FOUND"));
        let line = watch.events[7].line();
        assert!(line.starts_with("10:04:27  ConfigSetup"), "{line}");
    }
}
