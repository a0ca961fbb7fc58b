"""Request and response models, derived from the data contract instead of written out by hand.

The 20 request fields come from :data:`churn.contract.CUSTOMER_CONTRACT` with pydantic's
``create_model``: a category becomes a ``Literal`` of its allowed values, a number a ``Field`` with
the contract's range, the id a ``pattern``. When the contract changes, the API and its OpenAPI
documentation change with it; there is no second copy of the allowed values to forget.
Numbers are strict (``"17"`` is a wrong type, not 17) and unknown fields are refused
(``extra="forbid"``), so a typo like ``"tenur"`` is an error instead of a silently missing value.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from churn.contract import CUSTOMER_CONTRACT, CUSTOMER_ID_PATTERN, TARGET_COLUMN, Column

# The first customer of the public Telco data set: the example in the OpenAPI documentation.
EXAMPLE_CUSTOMER: dict[str, Any] = {
    "customerID": "7590-VHVEG", "gender": "Female", "SeniorCitizen": 0, "Partner": "Yes", "Dependents": "No",
    "tenure": 1, "PhoneService": "No", "MultipleLines": "No phone service", "InternetService": "DSL",
    "OnlineSecurity": "No", "OnlineBackup": "Yes", "DeviceProtection": "No", "TechSupport": "No",
    "StreamingTV": "No", "StreamingMovies": "No", "Contract": "Month-to-month", "PaperlessBilling": "Yes",
    "PaymentMethod": "Electronic check", "MonthlyCharges": 29.85, "TotalCharges": 29.85,
}


def _blank_to_none(value: Any) -> Any:
    """The public CSV writes a missing TotalCharges as a blank string; accept it as ``null``."""
    return None if isinstance(value, str) and not value.strip() else value


# --8<-- [start:field_from_column]
def field_from_column(column: Column) -> tuple[Any, Any]:
    """Return the ``(type, Field)`` pair that ``create_model`` needs for one contract column."""
    info = {"title": column.name, "description": column.description or None,
            "examples": [EXAMPLE_CUSTOMER[column.name]]}
    if column.kind == "category":
        annotation: Any = Literal[column.allowed]
    elif column.kind == "id":
        annotation, info["pattern"] = str, CUSTOMER_ID_PATTERN.pattern
    else:
        number = int if column.kind == "integer" else float
        info |= {"ge": column.minimum, "le": column.maximum, "strict": True, "allow_inf_nan": False}
        annotation = number
    if column.nullable:
        annotation = Annotated[annotation | None, BeforeValidator(_blank_to_none)]
        return annotation, Field(default=None, **info)
    return annotation, Field(**info)


CustomerRequest: type[BaseModel] = create_model(
    "CustomerRequest",
    __config__=ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_CUSTOMER]}),
    __doc__="One customer to score: the contract's columns without the target (Churn).",
    **{column.name: field_from_column(column) for column in CUSTOMER_CONTRACT if column.name != TARGET_COLUMN},
)
# --8<-- [end:field_from_column]


def batch_request_model(max_batch: int) -> type[BaseModel]:
    """Return the ``{"customers": [...]}`` model that accepts 1 to ``max_batch`` customers."""
    return create_model(
        "BatchRequest",
        __config__=ConfigDict(extra="forbid", json_schema_extra={"examples": [{"customers": [EXAMPLE_CUSTOMER]}]}),
        __doc__=f"Between 1 and {max_batch} customers to score in one call.",
        customers=(list[CustomerRequest], Field(min_length=1, max_length=max_batch)),  # type: ignore[valid-type]
    )


class PredictionResponse(BaseModel):
    """The answer for one customer."""

    customerID: str = Field(examples=["7590-VHVEG"])
    churn_probability: float = Field(ge=0, le=1, examples=[0.62], description="P(churn) from the model")
    churn: bool = Field(examples=[True], description="churn_probability >= the model's decision threshold")
    model_version: str = Field(examples=["3"], description="registry version of the model that answered")


class ErrorResponse(BaseModel):
    """Every 4xx and 5xx body: a message for humans and, for bad input, one entry per broken field."""

    detail: str = Field(examples=["customers.0.tenure: Input should be less than or equal to 72"])
    errors: list[dict[str, Any]] = Field(default_factory=list)
    request_id: str | None = None
