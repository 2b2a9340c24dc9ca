"""The figure builders, one module per kind of chart; their house style is `dashboard.figures`."""
