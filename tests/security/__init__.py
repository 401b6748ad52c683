"""Calmline as a hostile local user, caller, share writer or sync server would try it
(the model is docs/security.md). Each test fails on the build before its fix."""
