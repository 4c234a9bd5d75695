"""Virtual BLE sensors on Bumble controllers (test extra): a standard HR strap and a Polar H10."""
