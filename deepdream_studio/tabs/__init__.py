"""The studio's tabs: each module builds its layout and wires its events next to its handlers."""
