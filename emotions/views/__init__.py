"""The site's pages, one module per part: home, episodes, characters, frames (the animators' search)."""
