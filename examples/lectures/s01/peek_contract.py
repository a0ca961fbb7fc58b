"""Lecture 1.8: print the data contract the course project is built around.

Run it from the repository root::

    python examples/lectures/s01/peek_contract.py
"""

from churn.contract import CUSTOMER_CONTRACT, TARGET_COLUMN, feature_columns


# --8<-- [start:peek]
def describe_contract() -> list[str]:
    """Return one line per column: name, kind and what values are allowed."""
    lines = []
    for column in CUSTOMER_CONTRACT:
        if column.allowed:
            rule = " | ".join(column.allowed)
        elif column.minimum is not None:
            rule = f"{column.minimum:g} .. {column.maximum:g}"
        else:
            rule = "free text"
        lines.append(f"{column.name:<17} {column.kind:<9} {rule}")
    return lines


if __name__ == "__main__":
    print("\n".join(describe_contract()))
    print(f"\n{len(feature_columns())} feature columns, target: {TARGET_COLUMN}")
# --8<-- [end:peek]
