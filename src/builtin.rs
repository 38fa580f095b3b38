//! Profiles aaprove carries inside itself.
//!
//! The name `docker-default` stands for Docker's default profile wherever a
//! profile file is expected, so that `diff` and specs can compare against it
//! without a copy on disk. The text is `profiles/docker-default.profile` of
//! this repository, whose header says which Docker template it renders.

/// The name under which [`DOCKER_DEFAULT`] is known.
pub const DOCKER_DEFAULT_NAME: &str = "docker-default";

/// Docker's default profile, as its template renders it.
pub const DOCKER_DEFAULT: &str = include_str!("../profiles/docker-default.profile");

/// The file name under which a built-in profile's rules are shown, as in
/// `<built-in docker-default>:36:3`, so that it cannot be taken for a file
/// on disk.
pub fn shown_name(name: &str) -> String {
    format!("<built-in {name}>")
}

/// The text of the built-in profile called `name`, if there is one.
pub fn profile_text(name: &str) -> Option<&'static str> {
    (name == DOCKER_DEFAULT_NAME).then_some(DOCKER_DEFAULT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_docker_default_is_built_in() {
        let text = profile_text("docker-default").expect("built in");
        assert!(text.contains("profile \"docker-default\""));
        assert_eq!(profile_text("docker-defaults"), None);
        assert_eq!(profile_text("./docker-default"), None);
    }
}
