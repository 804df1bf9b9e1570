"""The model spec: what a contributor writes, validated before anything is generated.

Pure: no file or network access. `load_spec_text` parses YAML or JSON text;
`ModelSpec` validates it and `SpecError` carries every problem with its field path.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_validator,
    model_validator,
)

from generator.cross_checks import cross_field_problems, enum_key, partial_problems

__all__ = ["SpecError", "enum_key", "load_spec_text", "parse_spec"]

# Record ids default to a name-based UUID so the same spec always yields the same
# bytes (re-running the generator is a no-op). An explicit record id survives renames.
RECORD_ID_NAMESPACE = uuid.UUID("8b7c4e52-3d1a-4f0e-9c61-6d2f0a9b5e17")

ID_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
INPUT_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
ENV_NAME_PATTERN = r"^[A-Z][A-Z0-9_]*$"
PROVIDER_FIELD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"


class Group(StrEnum):
    IMAGE_EDITING = "image_editing"
    PROMPT_TO_IMAGE = "prompt_to_image"
    PROMPT_TO_VIDEO = "prompt_to_video"
    IMAGE_TO_VIDEO = "image_to_video"
    PROMPT_TO_AUDIO = "prompt_to_audio"


CONTENT_TYPES: dict[Group, str] = {
    Group.IMAGE_EDITING: "image",
    Group.PROMPT_TO_IMAGE: "image",
    Group.PROMPT_TO_VIDEO: "video",
    Group.IMAGE_TO_VIDEO: "video",
    Group.PROMPT_TO_AUDIO: "audio",
}


class ProviderFamily(StrEnum):
    KIE_JOBS = "kie_jobs"
    KIE_VEO = "kie_veo"
    KIE_4O = "kie_4o"
    RUNWARE = "runware"
    FAL_QUEUE = "fal_queue"
    REPLICATE = "replicate"


Scalar = str | int | float | bool


class SpecError(Exception):
    """A spec was refused. `problems` holds (field path, message) pairs, all of them."""

    def __init__(self, problems: list[tuple[str, str]], source: str = "spec") -> None:
        self.problems = problems
        self.source = source
        lines = [f"{source}: {len(problems)} problem(s), nothing was written:"]
        lines += [f"  - {path}: {message}" for path, message in problems]
        super().__init__("\n".join(lines))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ItemType = Literal["string", "integer", "number"]


class InputSpec(_Strict):
    type: Literal["string", "integer", "number", "boolean", "array", "object"]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    default: JsonValue = None
    enum: list[Scalar] | None = None
    enum_labels: dict[str, str] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    max_length: Annotated[int, Field(gt=0)] | None = None
    min_items: Annotated[int, Field(ge=0)] | None = None
    max_items: Annotated[int, Field(gt=0)] | None = None
    required: bool = False
    advanced: bool = False
    show_to_user: bool = True
    renderer: Literal["prompt", "image"] | None = None
    order: int | None = None
    provider_field: Annotated[str, Field(pattern=PROVIDER_FIELD_PATTERN)] | None = None
    multiple_of: Annotated[int, Field(gt=0)] | None = None
    items: ItemType | None = None  # arrays: the items' type (default string)
    fields: dict[str, InputSpec] | None = None  # objects: one level of fields
    presets: list[str] | None = None  # objects: a preset name instead of fields

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        problems += self._shape_problems()
        if self.enum is not None:
            if not self.enum:
                problems.append("enum is empty; list at least one value or drop enum")
            for value in self.enum:
                if not _matches_type(value, self.type):
                    problems.append(f"enum value {value!r} is not of type {self.type}")
            if len({enum_key(v) for v in self.enum}) != len(self.enum):
                problems.append("enum has duplicate values")
        if self.enum_labels is not None:
            if self.enum is None:
                problems.append("enum_labels given without enum; add enum")
            else:
                known = {enum_key(v) for v in self.enum}
                for key in self.enum_labels:
                    if key not in known:
                        problems.append(
                            f"enum_labels has {key!r}, which is not in enum "
                            f"{sorted(known)}; label only enum values"
                        )
        numeric = self.type in ("integer", "number")
        if (self.minimum is not None or self.maximum is not None) and not numeric:
            problems.append("minimum/maximum apply only to integer or number inputs")
        if (
            self.minimum is not None
            and self.maximum is not None
            and self.minimum > self.maximum
        ):
            problems.append(
                f"minimum {self.minimum} is greater than maximum {self.maximum}"
            )
        if self.max_length is not None and self.type != "string":
            problems.append("max_length applies only to string inputs")
        if (self.min_items is not None or self.max_items is not None) and (
            self.type != "array"
        ):
            problems.append("min_items/max_items apply only to array inputs")
        if self.default is not None:
            problems += [f"default {m}" for m in self.value_problems(self.default)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _shape_problems(self) -> list[str]:
        problems: list[str] = []
        if self.multiple_of is not None and self.type != "integer":
            problems.append("multiple_of applies only to integer inputs")
        if self.items is not None and self.type != "array":
            problems.append("items applies only to array inputs")
        if self.type == "object":
            if not self.fields:
                problems.append(
                    "an object input needs fields: {name: {type, title, ...}} "
                    "(one per key of the object)"
                )
            for name, field in (self.fields or {}).items():
                if not re.fullmatch(INPUT_NAME_PATTERN, name):
                    problems.append(f"field name {name!r} must be snake_case")
                if field.type in ("object", "array"):
                    problems.append(
                        f"field {name!r} is {field.type}: object fields are "
                        "strings, numbers, integers or booleans"
                    )
            if self.presets is not None and not self.presets:
                problems.append("presets is empty; list preset names or drop it")
            if self.enum is not None:
                problems.append("an object input takes presets, not enum")
        else:
            if self.fields is not None:
                problems.append("fields apply only to object inputs")
            if self.presets is not None:
                problems.append("presets apply only to object inputs")
        return problems

    def value_problems(self, value: JsonValue) -> list[str]:
        """Why `value` is not acceptable for this input (empty when it is)."""
        if self.type == "object":
            return self._object_problems(value)
        if not _matches_type(value, self.type, self.items):
            what = f"array of {self.items}" if self.items else self.type
            return [f"{value!r} is not of type {what}"]
        out: list[str] = []
        if self.enum is not None and enum_key(value) not in {
            enum_key(v) for v in self.enum
        }:
            out.append(f"{value!r} is not one of {self.enum}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                out.append(f"{value!r} is below minimum {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                out.append(f"{value!r} is above maximum {self.maximum}")
        if (
            isinstance(value, str)
            and self.max_length is not None
            and len(value) > self.max_length
        ):
            out.append(f"is longer than max_length {self.max_length}")
        if isinstance(value, list):
            if self.min_items is not None and len(value) < self.min_items:
                out.append(f"has fewer than min_items {self.min_items}")
            if self.max_items is not None and len(value) > self.max_items:
                out.append(f"has more than max_items {self.max_items}")
        if (
            self.multiple_of is not None
            and isinstance(value, int)
            and value % self.multiple_of
        ):
            out.append(f"{value!r} is not a multiple of {self.multiple_of}")
        return out

    def _object_problems(self, value: JsonValue) -> list[str]:
        if isinstance(value, str):
            if value in (self.presets or []):
                return []
            return [f"{value!r} is not one of the presets {self.presets or []}"]
        if not isinstance(value, dict):
            return [f"{value!r} is not an object (or a preset name)"]
        fields = self.fields or {}
        out = [f"has unknown key {key!r}" for key in value if key not in fields]
        for name, field in fields.items():
            if name not in value:
                if field.required and field.default is None:
                    out.append(f"lacks {name!r}")
                continue
            out += [f"{name}: {m}" for m in field.value_problems(value[name])]
        return out


def _matches_type(value: Any, type_name: str, items: str | None = None) -> bool:
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    return isinstance(value, list) and all(
        _matches_type(v, items or "string") for v in value
    )


class PollingBand(_Strict):
    until_s: Annotated[int, Field(gt=0)]
    every_s: Annotated[int, Field(gt=0)]


class PollingSpec(_Strict):
    """When to check a task: first after `first_delay_s`, then `every_s` of the first
    band whose `until_s` (seconds since submit) is not yet reached, then `then_every_s`.
    """

    first_delay_s: Annotated[int, Field(ge=0)] = 5
    bands: list[PollingBand] = Field(
        default_factory=lambda: [
            PollingBand(until_s=60, every_s=10),
            PollingBand(until_s=120, every_s=15),
        ]
    )
    then_every_s: Annotated[int, Field(gt=0)] = 30
    timeout_s: Annotated[int, Field(gt=0)] = 1200

    @model_validator(mode="after")
    def _ascending(self) -> Self:
        limits = [band.until_s for band in self.bands]
        if limits != sorted(set(limits)):
            raise ValueError("bands must have strictly increasing until_s")
        if limits and limits[-1] > self.timeout_s:
            raise ValueError(
                f"the last band ends at {limits[-1]} s, "
                f"after timeout_s {self.timeout_s}"
            )
        return self


Price = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=6)]
Rounding = Literal["up", "exact"]


class PerCharacters(_Strict):
    """x len(input) / per: per 1,000 characters is `per: 1000`; "up" bills a
    started block whole."""

    input: str
    per: Annotated[int, Field(gt=0)] = 1
    round: Rounding = "exact"


class PerMegapixel(_Strict):
    """x megapixels (width x height / 1,000,000) of the output: from two integer
    inputs (paths such as image_size.width allowed), or from an input whose
    values (enum or presets) are listed in `sizes` as [width, height]."""

    width: str | None = None
    height: str | None = None
    input: str | None = None
    sizes: dict[str, tuple[int, int]] | None = None
    round: Rounding = "exact"

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = {
            key
            for key in ("width", "height", "input", "sizes")
            if getattr(self, key) is not None
        }
        if given not in ({"width", "height"}, {"input", "sizes"}):
            raise ValueError(
                "give either width and height (input names), or input and sizes "
                "({value: [width, height]}); not a mix of them"
            )
        return self


class PriceTable(_Strict):
    """A price per combination of inputs (for price lists that are not
    multiplicative); replaces base. Keys are the inputs' values joined by '|'."""

    inputs: Annotated[list[str], Field(min_length=1)]
    prices: dict[str, Price]

    @field_validator("prices", mode="before")
    @classmethod
    def _stringify_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {enum_key(k): v for k, v in value.items()}
        return value


class CostSpec(_Strict):
    """credits = (table price, else base) x multipliers[param][value] x per-unit
    counts x per_second x per_characters x per_megapixel, rounded half-up to
    0.01. Every factor but base is optional."""

    base: Price
    multipliers: dict[str, dict[str, Annotated[Decimal, Field(ge=0)]]] = Field(
        default_factory=dict
    )
    per_unit: list[str] = Field(default_factory=list)
    per_second: str | None = None
    per_characters: PerCharacters | None = None
    per_megapixel: PerMegapixel | None = None
    table: PriceTable | None = None

    @field_validator("multipliers", mode="before")
    @classmethod
    def _stringify_keys(cls, value: Any) -> Any:
        # YAML turns `5: 1` into an int key and `true: 2` into a bool key.
        if isinstance(value, dict):
            return {
                param: {enum_key(k): v for k, v in table.items()}
                if isinstance(table, dict)
                else table
                for param, table in value.items()
            }
        return value


class ConstraintSpec(_Strict):
    """A rule across inputs: at least one of `fields` given (at_least_one), or
    the product of numeric fields at most `max` / at least `min` (max_product,
    min_product). Field paths may reach into objects (image_size.width)."""

    rule: Literal["at_least_one", "max_product", "min_product"]
    fields: Annotated[list[str], Field(min_length=2)]
    max: Annotated[int, Field(gt=0)] | None = None
    min: Annotated[int, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _bound(self) -> Self:
        if self.rule == "max_product" and (self.max is None or self.min is not None):
            raise ValueError("max_product takes max (and no min)")
        if self.rule == "min_product" and (self.min is None or self.max is not None):
            raise ValueError("min_product takes min (and no max)")
        if self.rule == "at_least_one" and (self.max, self.min) != (None, None):
            raise ValueError("at_least_one takes neither max nor min")
        return self


class ModelSpec(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
    record_id: uuid.UUID | None = None
    name: Annotated[str, Field(min_length=1, max_length=120)]
    group: Group
    provider: ProviderFamily
    provider_model: Annotated[str, Field(min_length=1, max_length=200)]
    endpoint: Annotated[str, Field(pattern=r"^https://[A-Za-z0-9.-]+(/[^\s]*)?$")]
    api_key_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)]
    docs_url: Annotated[str, Field(pattern=r"^https://\S+$")]
    estimated_seconds: Annotated[int, Field(gt=0)]
    polling: PollingSpec = Field(default_factory=PollingSpec)
    cost: CostSpec
    inputs: dict[str, InputSpec]
    image_input_field: str | None = None
    payload_constants: dict[str, JsonValue] = Field(default_factory=dict)
    constraints: list[ConstraintSpec] = Field(default_factory=list)
    # What an import could not tell; a spec with gaps is refused until filled.
    gaps: list[str] = Field(default_factory=list)
    notes: str = ""

    @field_validator("inputs")
    @classmethod
    def _input_names(cls, inputs: dict[str, InputSpec]) -> dict[str, InputSpec]:
        if not inputs:
            raise ValueError("a model needs at least one input")
        bad = [n for n in inputs if not re.fullmatch(INPUT_NAME_PATTERN, n)]
        if bad:
            raise ValueError(
                f"input names {bad} must be snake_case ({INPUT_NAME_PATTERN})"
            )
        return inputs

    @model_validator(mode="after")
    def _cross_field(self) -> Self:
        problems = cross_field_problems(
            inputs=self.inputs,
            cost=self.cost,
            image_input_field=self.image_input_field,
            payload_constants=self.payload_constants,
            provider=self.provider,
            provider_model=self.provider_model,
            constraints=self.constraints,
            gaps=self.gaps,
        )
        if problems:
            # parse_spec reports these one per path; this covers direct use.
            raise ValueError("; ".join(f"{path}: {what}" for path, what in problems))
        return self

    @property
    def effective_record_id(self) -> uuid.UUID:
        return self.record_id or uuid.uuid5(RECORD_ID_NAMESPACE, self.id)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.group]

    @property
    def module_name(self) -> str:
        return self.id.replace("-", "_")

    @property
    def path(self) -> str:
        """The model file's path, relative to the repository root (POSIX)."""
        return f"models/{self.group.value}/{self.module_name}.py"

    def ordered_inputs(self) -> list[tuple[str, InputSpec]]:
        position = {name: i for i, name in enumerate(self.inputs)}
        return sorted(
            self.inputs.items(),
            key=lambda item: (
                item[1].order if item[1].order is not None else position[item[0]],
                position[item[0]],
            ),
        )


def _problem_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(spec)"


def parse_spec(data: Any, source: str = "spec") -> ModelSpec:
    """Validate already-decoded spec data; raise SpecError listing every problem."""
    if not isinstance(data, dict):
        raise SpecError(
            [("(spec)", "a spec must be a mapping of fields (id, name, group, ...)")],
            source,
        )
    try:
        return ModelSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            if not err["loc"] and err["type"] == "value_error":
                continue  # cross-field problems: listed one per path below
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown field; remove it or check its spelling"
            elif err["type"] == "enum":
                message = f"{err['input']!r} is not allowed; {message.lower()}"
            problems.append((_problem_path(err["loc"]), message))
        problems += partial_problems(data, InputSpec, CostSpec, ProviderFamily)
        raise SpecError(problems, source) from None


def load_spec_text(text: str, source: str = "spec") -> ModelSpec:
    """Parse YAML (JSON is accepted too: it is valid YAML) and validate."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(
            [("(file)", f"not valid YAML or JSON: {exc}".replace("\n", " "))], source
        ) from None
    return parse_spec(data, source)


def check_unique(specs: list[ModelSpec]) -> list[tuple[str, str]]:
    """Problems from ids or record ids used by more than one spec."""
    problems: list[tuple[str, str]] = []
    seen_ids: dict[str, int] = {}
    seen_records: dict[uuid.UUID, str] = {}
    for spec in specs:
        seen_ids[spec.id] = seen_ids.get(spec.id, 0) + 1
        owner = seen_records.setdefault(spec.effective_record_id, spec.id)
        if owner != spec.id:
            problems.append(
                (
                    "record_id",
                    f"{spec.effective_record_id} is used by both {owner!r} and "
                    f"{spec.id!r}; give {spec.id!r} its own record_id",
                )
            )
    problems += [
        ("id", f"{model_id!r} is used by {count} models; ids must be unique")
        for model_id, count in seen_ids.items()
        if count > 1
    ]
    # One namespace: get(ref) takes an id or a record id, so no id may be a
    # record id of another model.
    records = {str(record): model_id for record, model_id in seen_records.items()}
    problems += [
        (
            "id",
            f"{model_id!r} is also the record id of {records[model_id]!r}; ids and "
            "record ids are one namespace at lookup: pick another id",
        )
        for model_id in seen_ids
        if model_id in records and records[model_id] != model_id
    ]
    return problems
