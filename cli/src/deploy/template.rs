//! The packaged template `deploy` sends: its text and SHA-256, the parameters it declares
//! (which are `NoEcho`, masked wherever `deploy` shows or records a value), and the
//! parameters a change set is given.

use std::collections::BTreeMap;

use ring::digest::{digest, SHA256};

use crate::error::Error;

/// `TemplateBody`: "a minimum length of 1 byte and a maximum length of 51,200 bytes"
/// (CloudFormation API Reference, CreateChangeSet). Larger templates go by `TemplateURL`.
pub const TEMPLATE_BODY_MAX: usize = 51_200;

/// What `deploy` shows and records instead of a `NoEcho` parameter's value.
pub const MASK: &str = "****";

/// A template read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The file, as given.
    pub path: String,
    /// Its text.
    pub text: String,
    /// The SHA-256 of its bytes, in hex.
    pub sha256: String,
    /// Its `Parameters`, in order.
    pub parameters: Vec<Declared>,
}

/// One parameter the template declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    /// Its name.
    pub name: String,
    /// `NoEcho: true`: its value is never shown nor recorded.
    pub no_echo: bool,
}

/// One parameter a change set is given: a value, or the stack's previous one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// `ParameterKey`
    pub key: String,
    /// `ParameterValue`; `None`: `UsePreviousValue`.
    pub value: Option<String>,
}

impl Template {
    /// Reads `path`.
    pub fn read(path: &str) -> Result<Template, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::file("template", path, e))?;
        Ok(Template::new(path, text))
    }

    /// The template of `text`, read from `path`.
    pub fn new(path: &str, text: String) -> Template {
        let sha256 = digest(&SHA256, text.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Template {
            path: path.to_owned(),
            parameters: declared(&text),
            sha256,
            text,
        }
    }

    /// Whether `name` is a `NoEcho` parameter.
    pub fn no_echo(&self, name: &str) -> bool {
        self.parameters.iter().any(|p| p.name == name && p.no_echo)
    }

    /// What the change set is given: each of `given` (a name the template does not
    /// declare is refused), then on an update every other parameter the stack already
    /// has keeps its value (`UsePreviousValue`, as `aws cloudformation deploy` does),
    /// rather than falling back to the template's default.
    pub fn to_send(
        &self,
        given: &[(String, String)],
        previous: &[String],
    ) -> Result<Vec<Sent>, Error> {
        let mut sent: BTreeMap<&str, Option<String>> = BTreeMap::new();
        for (key, value) in given {
            if !self.parameters.iter().any(|p| &p.name == key) {
                return Err(Error::Parameter(format!(
                    "{key}: {} declares no such parameter",
                    self.path
                )));
            }
            sent.insert(key, Some(value.clone()));
        }
        for declared in &self.parameters {
            if previous.contains(&declared.name) {
                sent.entry(&declared.name).or_insert(None);
            }
        }
        Ok(sent
            .into_iter()
            .map(|(key, value)| Sent {
                key: key.to_owned(),
                value,
            })
            .collect())
    }

    /// `sent` as shown and recorded: `NoEcho` values masked, previous values so named.
    pub fn shown(&self, sent: &[Sent]) -> BTreeMap<String, String> {
        sent.iter()
            .map(|s| {
                let value = match &s.value {
                    None => "(previous value)".to_owned(),
                    Some(_) if self.no_echo(&s.key) => MASK.to_owned(),
                    Some(value) => value.clone(),
                };
                (s.key.clone(), value)
            })
            .collect()
    }
}

/// The parameters `text` declares: a JSON template's `Parameters` object, or a YAML
/// template's block-style `Parameters:` section (as `sam package` writes it).
pub fn declared(text: &str) -> Vec<Declared> {
    if text.trim_start().starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let Some(parameters) = json["Parameters"].as_object() else {
            return Vec::new();
        };
        return parameters
            .iter()
            .map(|(name, p)| Declared {
                name: name.clone(),
                no_echo: p["NoEcho"] == true || p["NoEcho"] == "true",
            })
            .collect();
    }
    let section: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim_end() != "Parameters:")
        .skip(1)
        .take_while(|l| l.trim().is_empty() || l.starts_with([' ', '#']))
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let Some(child) = section.first().map(|l| indent(l)) else {
        return Vec::new();
    };
    let mut parameters: Vec<Declared> = Vec::new();
    for line in section {
        let trimmed = line.trim();
        if indent(line) == child {
            if let Some(name) = trimmed.strip_suffix(':') {
                parameters.push(Declared {
                    name: name.trim_matches(['"', '\'']).to_owned(),
                    no_echo: false,
                });
            }
        } else if let Some(value) = trimmed.strip_prefix("NoEcho:") {
            let value = value.trim().trim_matches(['"', '\'']);
            if let Some(last) = parameters.last_mut() {
                last.no_echo = value.eq_ignore_ascii_case("true");
            }
        }
    }
    parameters
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  # The alarm address.
  AlarmEmail:
    Type: String
    Default: ''

  ApiToken:
    Type: String
    NoEcho: true
  'Quoted':
    Type: String
    NoEcho: 'false'
Resources:
  Topic:
    Type: AWS::SNS::Topic
";

    fn names(template: &Template) -> Vec<(&str, bool)> {
        let p = template.parameters.iter();
        p.map(|p| (p.name.as_str(), p.no_echo)).collect()
    }

    #[test]
    fn parameters_and_no_echo_are_read_from_yaml_and_json() {
        let yaml = Template::new("packaged.yaml", YAML.to_owned());
        let expected = [("AlarmEmail", false), ("ApiToken", true), ("Quoted", false)];
        assert_eq!(names(&yaml), expected);
        let json = Template::new(
            "t.json",
            r#"{"Parameters": {"AlarmEmail": {"Type": "String"}, "ApiToken": {"Type": "String", "NoEcho": "true"}, "Quoted": {"NoEcho": false}}}"#.to_owned(),
        );
        assert_eq!(names(&json), expected);
        assert!(Template::new("t", "Resources: {}\n".to_owned())
            .parameters
            .is_empty());
        assert_eq!(yaml.sha256.len(), 64);
        assert_eq!(
            Template::new("t", String::new()).sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn an_update_keeps_what_is_not_given_and_no_echo_values_are_masked() {
        let template = Template::new("packaged.yaml", YAML.to_owned());
        let given = [
            ("ApiToken".to_owned(), "s3cret".to_owned()),
            ("Quoted".to_owned(), "q".to_owned()),
        ];
        let create = template.to_send(&given, &[]).unwrap();
        assert_eq!(create.len(), 2);
        let update = template
            .to_send(&given, &["AlarmEmail".to_owned(), "ApiToken".to_owned()])
            .unwrap();
        let previous = Sent {
            key: "AlarmEmail".into(),
            value: None,
        };
        assert_eq!(update[0], previous);
        let shown = template.shown(&update);
        assert_eq!(shown["AlarmEmail"], "(previous value)");
        assert_eq!(shown["ApiToken"], MASK);
        assert_eq!(shown["Quoted"], "q");
        let unknown = [("ApiTokn".to_owned(), "x".to_owned())];
        let err = template.to_send(&unknown, &[]).unwrap_err().to_string();
        assert!(
            err.contains("ApiTokn") && err.contains("packaged.yaml"),
            "{err}"
        );
    }
}
