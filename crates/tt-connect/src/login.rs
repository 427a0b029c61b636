//! Logging in through the client, whichever broker it holds, and a helper that follows a login
//! page's redirects to the app's redirect URL.

use tt_core::{Login, RedirectParams, Result, SessionEnded, SessionInfo};

use crate::Client;

impl<B: Login> Client<B> {
    /// Where to send the user's browser to log in; the broker's page sends it back to the
    /// app's redirect URL with the parameters [`Client::complete_login`] takes.
    pub fn login_url(&self) -> String {
        self.broker().login_url()
    }

    /// Completes a login from the redirect's query parameters (Kite's `request_token`,
    /// Upstox's `code`: the broker picks out what it needs) and says who logged in.
    ///
    /// # Errors
    /// [`tt_core::Error::Authentication`] when the parameters lack the credential or the
    /// broker refuses it; network errors; [`tt_core::Error::Config`] when the session cannot be
    /// kept.
    pub async fn complete_login(&self, redirect: &RedirectParams) -> Result<SessionInfo> {
        self.broker().complete_login(redirect).await
    }

    /// Ends the session at the broker and forgets it here.
    ///
    /// # Errors
    /// Network errors; the session is forgotten locally either way.
    pub async fn logout(&self) -> Result<()> {
        self.broker().logout().await
    }

    /// The current session, if logged in.
    pub fn session(&self) -> Option<SessionInfo> {
        self.broker().session()
    }

    /// Calls `hook` whenever the session ends on its own (the broker refused the token, or its
    /// expiry passed): the place to start a new login. Replaces any earlier hook.
    pub fn on_session_expired(&self, hook: impl Fn(&SessionEnded) + Send + Sync + 'static) {
        self.broker().on_session_expired(std::sync::Arc::new(hook));
    }
}

#[cfg(feature = "transport")]
pub use redirect::{LoginRedirectError, follow_login_redirect};

#[cfg(feature = "transport")]
mod redirect {
    use bytes::Bytes;
    use tt_core::{BadRedirect, RedirectParams};
    use tt_transport::{HttpClient, HttpConfig, TransportError};

    /// How many redirects [`follow_login_redirect`] follows before giving up.
    const MAX_REDIRECTS: usize = 10;

    /// Why [`follow_login_redirect`] found no redirect parameters.
    #[derive(Debug, thiserror::Error)]
    #[non_exhaustive]
    pub enum LoginRedirectError {
        /// A page could not be fetched.
        #[error("the login page could not be fetched: {0}")]
        Transport(#[from] TransportError),
        /// A page answered without redirecting: it wants a person (a form to fill in), so open
        /// the login URL in a browser instead.
        #[error(
            "{url} answered HTTP {status} instead of redirecting: it needs a person to log in \
             (open the login URL in a browser)"
        )]
        NoRedirect {
            /// The page, without its query string.
            url: String,
            /// Its status code.
            status: u16,
        },
        /// The redirects did not reach the redirect URL within the limit.
        #[error("no redirect to {redirect_url} within {MAX_REDIRECTS} redirects")]
        TooManyRedirects {
            /// The app's redirect URL that was never reached.
            redirect_url: String,
        },
        /// A `Location` header that is not text.
        #[error("{url} redirected with a Location header that is not text")]
        BadLocation {
            /// The page, without its query string.
            url: String,
        },
        /// The redirect URL's query could not be decoded.
        #[error(transparent)]
        BadRedirect(#[from] BadRedirect),
    }

    /// Follows a login page's redirects until one points at `redirect_url` (the app's
    /// registered redirect URL), and returns that redirect's query parameters, for
    /// [`crate::Client::complete_login`]. The redirect URL itself is never requested: nothing
    /// need listen there.
    ///
    /// This is the login of a page that logs in without a person (the local simulator's, or a
    /// test double's); a real broker's page wants credentials typed in, and answers
    /// [`LoginRedirectError::NoRedirect`].
    ///
    /// ```no_run
    /// # #[cfg(feature = "zerodha")]
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use tt_connect::{BrokerSettings, Client, follow_login_redirect};
    ///
    /// let client = Client::from_name(
    ///     "zerodha",
    ///     BrokerSettings::new("tt_sim_key", "tt_sim_secret").api_root("http://127.0.0.1:8765"),
    /// )?;
    /// let redirect = follow_login_redirect(&client.login_url(), "http://127.0.0.1/callback").await?;
    /// let session = client.complete_login(&redirect).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`LoginRedirectError`]: a page that cannot be fetched or does not redirect, too many
    /// redirects, or a redirect URL that cannot be decoded.
    pub async fn follow_login_redirect(
        login_url: &str,
        redirect_url: &str,
    ) -> Result<RedirectParams, LoginRedirectError> {
        let browser = HttpClient::new(HttpConfig::default())?;
        let mut url = login_url.to_owned();
        for _ in 0..MAX_REDIRECTS {
            let request = http::Request::get(url.as_str())
                .body(Bytes::new())
                .map_err(|e| TransportError::InvalidRequest {
                    url: without_query(&url).to_owned(),
                    message: e.to_string(),
                })?;
            let page = browser.send(request).await?;
            if !(300..400).contains(&page.status) {
                return Err(LoginRedirectError::NoRedirect {
                    url: without_query(&url).to_owned(),
                    status: page.status,
                });
            }
            let location = page
                .headers
                .get(http::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| LoginRedirectError::BadLocation {
                    url: without_query(&url).to_owned(),
                })?;
            let next = resolve(&url, location);
            if next.starts_with(redirect_url) {
                return Ok(RedirectParams::from_url(&next)?);
            }
            url = next;
        }
        Err(LoginRedirectError::TooManyRedirects {
            redirect_url: without_query(redirect_url).to_owned(),
        })
    }

    /// `location` as an absolute URL: as it is when it has a scheme, else on `base`'s origin
    /// (a path from the root) or beside `base`'s path.
    fn resolve(base: &str, location: &str) -> String {
        if location.contains("://") {
            return location.to_owned();
        }
        let base = without_query(base);
        let after_scheme = base.find("://").map_or(0, |at| at + 3);
        let origin_end = base
            .get(after_scheme..)
            .and_then(|rest| rest.find('/'))
            .map_or(base.len(), |at| after_scheme + at);
        let origin = base.get(..origin_end).unwrap_or(base);
        if location.starts_with('/') {
            format!("{origin}{location}")
        } else {
            let directory = base
                .rfind('/')
                .filter(|&at| at >= origin_end)
                .map_or(format!("{origin}/"), |at| {
                    base.get(..=at).unwrap_or(base).to_owned()
                });
            format!("{directory}{location}")
        }
    }

    /// A URL without its query string (which may carry a credential) or fragment.
    fn without_query(url: &str) -> &str {
        url.split(['?', '#']).next().unwrap_or(url)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn an_absolute_location_is_kept() {
            assert_eq!(
                resolve("http://127.0.0.1:1/a?x=1", "http://127.0.0.1/cb?c=1"),
                "http://127.0.0.1/cb?c=1"
            );
        }

        #[test]
        fn a_root_relative_location_is_on_the_page_origin() {
            assert_eq!(
                resolve("http://127.0.0.1:1/connect/login?v=3", "/next?a=b"),
                "http://127.0.0.1:1/next?a=b"
            );
        }

        #[test]
        fn a_path_relative_location_is_beside_the_page() {
            assert_eq!(
                resolve("http://127.0.0.1:1/connect/login?v=3", "finish?a=b"),
                "http://127.0.0.1:1/connect/finish?a=b"
            );
        }
    }
}
