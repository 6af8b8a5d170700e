"""Settings from arguments and LAB_* variables (no platform needed)."""

from __future__ import annotations

import os
import unittest

from labdata import _settings


class Settings(unittest.TestCase):
    def test_arguments_win_over_the_environment(self) -> None:
        env = {"LAB_URL": "http://env:4000/", "LAB_API_KEY": "lab_env", "LAB_PROJECT": "p", "LAB_MODE": "OFFLINE"}
        s = _settings.resolve(environ=env)
        self.assertEqual((s.url, s.api_key, s.project, s.mode), ("http://env:4000", "lab_env", "p", "offline"))
        s = _settings.resolve(url="https://arg/graphql", api_key="lab_arg", mode="online", environ=env)
        self.assertEqual((s.url, s.api_key, s.mode), ("https://arg", "lab_arg", "online"))
        self.assertEqual(_settings.resolve(environ={}).dir, os.path.abspath("labruns"))

    def test_bad_values_are_named(self) -> None:
        with self.assertRaisesRegex(ValueError, "mode must be one of"):
            _settings.resolve(mode="sometimes", environ={})
        with self.assertRaisesRegex(ValueError, "http:// or https://"):
            _settings.resolve(url="localhost:4000", environ={})
        with self.assertRaisesRegex(ValueError, "api_key"):
            _settings.resolve(url="http://x", environ={}).require_online()

    def test_the_key_is_never_shown(self) -> None:
        s = _settings.resolve(url="http://x", api_key="lab_secret_value", environ={})
        self.assertNotIn("lab_secret_value", repr(s))
        self.assertNotIn("lab_secret_value", str(s))


if __name__ == "__main__":
    unittest.main()
