"""From a plan's edit to pixels: warp x mask, halo, dithering."""
