"""Record validation under dataknobs-data 0.11's names: ``Schema``, constraints, ``Coercer``.

The rules themselves are the domain's (``dataknobs_data.domain.schema``): this package is the
0.11 surface over them. A ``Schema`` here declares fields fluently and ``validate`` returns a
``ValidationResult`` instead of raising; given to a database it validates writes as the
domain's ``Schema`` does::

    from dataknobs_data.validation import Pattern, Range, Schema

    schema = (Schema("User")
              .field("name", "STRING", required=True)
              .field("age", "INTEGER", constraints=[Range(min=0, max=150)])
              .field("email", "STRING", constraints=[Pattern(r"^.+@.+$")]))
    result = schema.validate({"name": "Ada", "age": "36"}, coerce=True)
    assert result.valid and result.value.get_value("age") == 36
"""

from . import constraints
from .coercer import Coercer
from .constraints import *  # noqa: F403 - every constraint, listed in its __all__
from .factory import CoercerFactory, SchemaFactory, coercer_factory, schema_factory
from .result import ValidationContext, ValidationResult
from .schema import Field, Schema

__all__ = [
    "Coercer",
    "CoercerFactory",
    "Field",
    "Schema",
    "SchemaFactory",
    "ValidationContext",
    "ValidationResult",
    "coercer_factory",
    "schema_factory",
    *constraints.__all__,
]
