"""Small scenarios shared by tests (TOML text)."""

#: Two routes a → b: a 100 km line at an assumed speed (the disrupted focus) and a 3 h detour
#: through m; one commodity of 1 train/day; the line speed is an assumption (20–50 km/h).
TWO_ROUTES = """
version = 1
[units]
tonnes_per_train = 1000
[[nodes]]
id = "a"
[[nodes]]
id = "b"
[[nodes]]
id = "m"
[[links]]
id = "slow_line"
from = "a"
to = "b"
length_km = 100
speed_kmh = 30
capacity = 10
unit = "trains/day"
provenance = { speed_kmh = "assumption: see [[assumptions]] line_speed" }
[[links]]
id = "detour_1"
from = "a"
to = "m"
time_h = 1.5
capacity = 10
unit = "trains/day"
[[links]]
id = "detour_2"
from = "m"
to = "b"
time_h = 1.5
capacity = 10
unit = "trains/day"
[[commodities]]
id = "goods"
origin = "a"
destination = "b"
rate = 1
unit = "trains/day"
[[disruptions]]
element = "slow_line"
start = 2024-01-01
repair_days = 2
[[assumptions]]
id = "line_speed"
paths = ["links.slow_line.speed_kmh"]
low = 20.0
high = 50.0
unit = "km/h"
reasoning = "a toy range around the assumed speed"
"""
