"""The application: what the commands do, independent of how they are asked.

One place builds the stream (:mod:`privacycam.app.stream`), picks the editor
(:mod:`privacycam.app.editors`) and remembers the user's settings
(:mod:`privacycam.app.settings`); the command line (:mod:`privacycam.cli`) and the tray
(:mod:`privacycam.desktop`) only call into it.
"""
