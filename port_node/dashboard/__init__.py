"""Static files of the port dashboard (HTML, CSS, JavaScript; no build step)."""
