// Model: CSI networks, training and evaluation over CTorch.
