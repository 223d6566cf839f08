"""From video to tracklets: reading a camera's frames, MOTChallenge track files, the built-in
detector and tracker, their scores against ground truth, and cropping tracks into tracklets."""
