"""Single sign-on over OpenID Connect: the web sign-in with the ministry's provider, and its bearer tokens."""
