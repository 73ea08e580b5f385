"""The console's HTTP routes, one module per area; console/app.py includes their routers."""
