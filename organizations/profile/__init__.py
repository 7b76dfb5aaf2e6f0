"""The signed-in person's own profile: name, time zone, e-mail preferences, password link."""
