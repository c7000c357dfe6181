"""The Catchment: the Falcon app that stores deployed Ponds, drives the engine and talks to
Ducks. `create_app` builds it; `wsgi.app` is the hosted entry; `runner` serves it."""
