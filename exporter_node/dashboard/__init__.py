"""Static files of the exporter dashboard (HTML, CSS, JavaScript; no build step)."""
